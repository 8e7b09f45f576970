"""Grades to the LMS over LTI 1.3 Assignment and Grade Services: ``tfgrader lti push``.

Runs on the trusted side, as a batch: no student launch is needed. The flow
follows the 1EdTech (IMS) specifications, as Canvas, Moodle, Blackboard and
D2L implement them:

1. an access token by the OAuth 2.0 client-credentials grant, the tool
   proving itself with a JWT it signs with its private key (1EdTech Security
   Framework 1.0, section 4.1; RFC 7523); the platform checks it against the
   tool's public keys, which ``tfgrader lti jwks`` prints;
2. the course's roster from Names and Role Provisioning Services 2.0, each
   nbgrader student matched to a platform user;
3. each assignment's line item (AGS 2.0), found by its ``resourceId`` (the
   assignment id) or created with the gradebook's maximum points;
4. one score per student (AGS 2.0 score publish service).

The platform keeps one result per user and line item, the latest by
``timestamp``: pushing again replaces the scores, never adds to them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from traitlets import Float, Integer, List, Unicode
from traitlets.config import Configurable

from tfgrader.instructor.course import COURSE_ID, CourseLayout
from tfgrader.wire import one_line

LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
ROSTER_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SCOPES = (LINEITEM_SCOPE, SCORE_SCOPE, ROSTER_SCOPE)
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
MEMBERSHIPS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
KEY_ENV, KEY_FILE_ENV = "TFGRADER_LTI_PRIVATE_KEY", "TFGRADER_LTI_PRIVATE_KEY_FILE"

# What each student's push ended as.
SENT, WOULD_SEND, NOT_ON_ROSTER, NO_SUBMISSION, REFUSED = (
    "sent", "would send", "not on the roster", "no submission", "refused")


class LtiPlatform(Configurable):
    """The LMS the grades go to: configured as ``c.LtiPlatform.<trait>`` in
    ``nbgrader_config.py``, from what the platform shows when the tool is
    registered (Canvas: Developer Keys > LTI Key). The tool's private key is
    never written here: it is read from a file or the environment."""

    issuer = Unicode("", help="The platform's issuer, e.g. https://canvas.instructure.com").tag(config=True)
    client_id = Unicode("", help="The client id the platform gave the tool.").tag(config=True)
    deployment_id = Unicode("", help="The tool's deployment in the platform. The service calls do not carry it; "
                                     "it is shown with each push so that a push to the wrong deployment shows.",
                            ).tag(config=True)
    token_url = Unicode("", help="The platform's OAuth 2.0 token endpoint.").tag(config=True)
    audience = Unicode("", help="The client assertion's audience, where the platform asks for another than the "
                                "token URL (the default).").tag(config=True)
    lineitems_url = Unicode("", help="The course context's line items URL (AGS 'lineitems').").tag(config=True)
    memberships_url = Unicode("", help="The course context's memberships URL (NRPS "
                                       "'context_memberships_url').").tag(config=True)
    private_key_file = Unicode("", help=f"PEM file of the tool's RSA private key, readable by its owner only "
                                        f"(else {KEY_FILE_ENV}, or the PEM itself in {KEY_ENV}).").tag(config=True)
    match = List(Unicode(), ["lms_user_id", "email", "login"],
                 help="How an nbgrader student is found on the roster, tried in order: 'lms_user_id' (nbgrader's "
                      "--lms-user-id is the platform's user_id), 'email' (the same email, any case), 'login' (the "
                      "nbgrader id equals the member's login_field).").tag(config=True)
    login_field = Unicode("lis_person_sourcedid", help="The roster field that holds a student's login, for "
                                                       "match 'login'.").tag(config=True)
    timeout = Float(10.0, help="Seconds a request may take.").tag(config=True)
    retries = Integer(4, help="Tries after the first, for a timeout, a lost connection, 429 or a 5xx "
                              "answer.").tag(config=True)
    backoff = Float(1.0, help="Seconds before the first retry; doubled at each next one.").tag(config=True)

    REQUIRED = ("issuer", "client_id", "deployment_id", "token_url", "lineitems_url", "memberships_url")

    @classmethod
    def of(cls, course: Path) -> LtiPlatform:
        return cls(config=CourseLayout(course).nbgrader_config())

    def missing(self) -> list[str]:
        return [f"c.LtiPlatform.{name}" for name in self.REQUIRED if not getattr(self, name)]


class LtiError(Exception):
    """The push cannot go on at all (no key, no token, unreachable platform); the message says what to do."""


# ---------------------------------------------------------------- the tool's key

def private_key(settings: LtiPlatform):
    """The tool's RSA private key, from the environment or the configured file."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    pem = os.environ.get(KEY_ENV, "").encode()
    path = Path(os.environ.get(KEY_FILE_ENV) or settings.private_key_file or "")
    if not pem:
        if not path.name:
            raise LtiError(f"No private key for the tool: set c.LtiPlatform.private_key_file in nbgrader_config.py, "
                           f"or {KEY_FILE_ENV}, or {KEY_ENV}. Make one with `tfgrader lti key FILE`.")
        if not path.is_file():
            raise LtiError(f"The tool's private key {path} is not a file; make one with `tfgrader lti key {path}`.")
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise LtiError(f"The tool's private key {path} can be read by others; run `chmod 600 {path}`.")
        pem = path.read_bytes()
    try:
        return load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise LtiError(f"The tool's private key is not an unencrypted PEM RSA key ({one_line(exc)}).") from None


def new_key(path: Path) -> None:
    """Write a new 2048-bit RSA private key to ``path``, readable by its owner only."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        out.write(pem)


def public_jwk(key) -> dict:
    """The public half of ``key`` as a JWK, its ``kid`` the RFC 7638 thumbprint."""
    from jwt.algorithms import RSAAlgorithm

    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def jwks(settings: LtiPlatform) -> dict:
    """The JSON Web Key Set to give the platform (Canvas: the developer key's 'Public JWK')."""
    return {"keys": [public_jwk(private_key(settings))]}


# ---------------------------------------------------------------- HTTP


class Refused(Exception):
    """The platform answered a request with an error (or never answered): ``reason`` says which."""

    def __init__(self, reason: str, status: int = 0):
        super().__init__(reason)
        self.reason, self.status = reason, status


class Client:
    """The platform's services, with one cached access token for all scopes."""

    def __init__(self, settings: LtiPlatform):
        import requests

        self.settings, self.http = settings, requests.Session()
        self.http.headers["User-Agent"] = "tfgrader-lti"
        self.key = private_key(settings)
        self.kid = public_jwk(self.key)["kid"]
        self._token: tuple[str, float] | None = None

    def token(self) -> str:
        """An access token for every scope tfgrader uses, reused until shortly before it expires."""
        import jwt

        if self._token and time.time() < self._token[1]:
            return self._token[0]
        s, now = self.settings, int(time.time())
        assertion = jwt.encode({"iss": s.client_id, "sub": s.client_id, "aud": s.audience or s.token_url, "iat": now,
                                "exp": now + 300, "jti": str(uuid.uuid4())},
                               self.key, algorithm="RS256", headers={"kid": self.kid})
        form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion, "scope": " ".join(SCOPES)}
        try:
            answer = self._send("POST", s.token_url, data=form, headers={"Accept": "application/json"})
        except Refused as exc:
            raise LtiError(f"The platform refused the tool an access token ({exc}); check c.LtiPlatform.client_id "
                           f"and token_url, and that the platform has the key `tfgrader lti jwks` prints.") from None
        body = answer.json()
        granted = set(str(body.get("scope", " ".join(SCOPES))).split())
        if not granted >= set(SCOPES):
            raise LtiError(f"The platform did not grant the scopes {sorted(set(SCOPES) - granted)}; enable them "
                           "on the tool's registration (Canvas: the developer key's LTI Advantage Services).")
        self._token = (body["access_token"], time.time() + max(0.0, float(body.get("expires_in", 3600)) - 30))
        return self._token[0]

    def call(self, method: str, url: str, headers: dict | None = None, **kwargs):
        """A service request with the access token; a token the platform no longer takes is renewed once."""
        for attempt in (1, 2):
            try:
                return self._send(method, url, headers={**(headers or {}), "Authorization": f"Bearer {self.token()}"},
                                  **kwargs)
            except Refused as exc:
                if exc.status != 401 or attempt == 2:
                    raise
                self._token = None

    def _send(self, method: str, url: str, **kwargs):
        """One request, retried with backoff after a timeout, a lost connection, 429 or 5xx."""
        import requests

        s, answer = self.settings, None
        for attempt in range(s.retries + 1):
            if attempt:
                time.sleep(s.backoff * 2 ** (attempt - 1))
            try:
                answer = self.http.request(method, url, timeout=s.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = one_line(exc, 160)
                continue
            if answer.status_code < 400:
                return answer
            problem = f"HTTP {answer.status_code}: {_reason(answer)}"
            if answer.status_code != 429 and answer.status_code < 500:
                raise Refused(problem, answer.status_code)
        raise Refused(f"{problem}, after {s.retries + 1} tries", answer.status_code if answer is not None else 0)

    def pages(self, url: str, accept: str, **params) -> list:
        """Every page of a container, following the ``Link: <...>; rel="next"`` headers."""
        items, page = [], self.call("GET", url, headers={"Accept": accept}, params=params or None)
        while True:
            body = page.json()
            items.extend(body if isinstance(body, list) else body.get("members", []))
            following = page.links.get("next", {}).get("url")
            if not following:
                return items
            page = self.call("GET", following, headers={"Accept": accept})


def _reason(answer) -> str:
    """The platform's own reason for an error answer."""
    try:
        body = answer.json()
    except ValueError:
        return one_line(answer.text or answer.reason or "", 200)
    if isinstance(body, dict):
        for key in ("error_description", "message", "error", "reason"):
            if body.get(key):
                return one_line(str(body[key]), 200)
    return one_line(json.dumps(body), 200)


def scores_url(lineitem: str) -> str:
    """AGS: a line item's score service is its URL with ``/scores`` on its path."""
    parts = urlsplit(lineitem)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


# ---------------------------------------------------------------- the push

@dataclass(frozen=True)
class Outcome:
    student: str
    assignment: str
    status: str
    detail: str = ""


@dataclass(frozen=True)
class Grade:
    student: str
    score: float
    max_score: float
    pending_manual: bool


def gradebook(course: Path, assignment: str) -> tuple[list, list[Grade], float]:
    """The course's students, the submitted ones' grades of ``assignment`` (late penalty taken off) and
    the assignment's maximum points, from nbgrader's gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(CourseLayout(course).db_url(), COURSE_ID) as gb:
        students = [(s.id, s.email or "", s.lms_user_id or "") for s in gb.students]
        grades = []
        for student, _, _ in students:
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            grades.append(Grade(student, max(0.0, sub.score - (sub.late_submission_penalty or 0.0)),
                                sub.max_score, bool(sub.needs_manual_grade)))
        maximum = gb.find_assignment(assignment).max_score
    return students, grades, maximum


def roster_user(student: tuple[str, str, str], members: list[dict], settings: LtiPlatform) -> str | None:
    """The platform's user_id of an nbgrader (id, email, lms_user_id), by the configured matches in order."""
    nb_id, email, lms_id = student
    for how in settings.match:
        for member in members:
            found = {"lms_user_id": lms_id and member.get("user_id") == lms_id,
                     "email": email and str(member.get("email", "")).lower() == email.lower(),
                     "login": member.get(settings.login_field) == nb_id}.get(how)
            if found:
                return member["user_id"]
    return None


def push(course: Path, assignments: list[str], *, dry_run: bool = False,
         settings: LtiPlatform | None = None) -> list[Outcome]:
    """Send each assignment's scores to the platform (``dry_run``: only read, and say what would be sent).
    One student's failure never stops the others."""
    settings = settings or LtiPlatform.of(course)
    if settings.missing():
        raise LtiError(f"Set {', '.join(settings.missing())} in nbgrader_config.py (see docs/lms.md).")
    client = Client(settings)
    try:
        members = client.pages(settings.memberships_url, MEMBERSHIPS)
    except Refused as exc:
        raise LtiError(f"The platform refused the roster ({exc.reason}).") from None
    outcomes = []
    for assignment in assignments:
        students, grades, maximum = gradebook(course, assignment)
        try:
            lineitem = find_lineitem(client, assignment, maximum, create=not dry_run)
        except Refused as exc:
            outcomes += [Outcome(g.student, assignment, REFUSED, f"line item: {exc.reason}") for g in grades]
            continue
        graded = {g.student: g for g in grades}
        for student in students:
            grade = graded.get(student[0])
            if grade is None:
                outcomes.append(Outcome(student[0], assignment, NO_SUBMISSION))
                continue
            user = roster_user(student, members, settings)
            if user is None:
                outcomes.append(Outcome(grade.student, assignment, NOT_ON_ROSTER,
                                        f"matched by {', '.join(settings.match)}"))
                continue
            score = score_body(user, grade, maximum)
            if dry_run:
                outcomes.append(Outcome(grade.student, assignment, WOULD_SEND,
                                        f"{lineitem or 'a new line item'}: {json.dumps(score)}"))
                continue
            try:
                client.call("POST", scores_url(lineitem), data=json.dumps(score), headers={"Content-Type": SCORE})
            except Refused as exc:
                outcomes.append(Outcome(grade.student, assignment, REFUSED, exc.reason))
                continue
            outcomes.append(Outcome(grade.student, assignment, SENT, f"{score['scoreGiven']:g}/{maximum:g}"))
    return outcomes


def find_lineitem(client: Client, assignment: str, maximum: float, *, create: bool) -> str | None:
    """The URL of the line item whose ``resourceId`` is ``assignment``, created when there is none."""
    settings = client.settings
    for item in client.pages(settings.lineitems_url, LINEITEMS, resource_id=assignment):
        if item.get("resourceId") == assignment:
            return item["id"]
    if not create:
        return None
    body = {"label": assignment, "resourceId": assignment, "scoreMaximum": maximum, "tag": "tfgrader"}
    answer = client.call("POST", settings.lineitems_url, data=json.dumps(body),
                         headers={"Content-Type": LINEITEM, "Accept": LINEITEM})
    return answer.json()["id"]


def score_body(user: str, grade: Grade, maximum: float) -> dict:
    """An AGS score: the gradebook's points, marked complete and (unless a cell waits for a person) fully graded."""
    return {"userId": user, "scoreGiven": round(grade.score, 4), "scoreMaximum": maximum,
            "activityProgress": "Completed",
            "gradingProgress": "PendingManual" if grade.pending_manual else "FullyGraded",
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds")}


def assignments(course: Path) -> list[str]:
    """Every assignment in the course's gradebook, by name."""
    from nbgrader.api import Gradebook

    with Gradebook(CourseLayout(course).db_url(), COURSE_ID) as gb:
        return sorted(a.name for a in gb.assignments)

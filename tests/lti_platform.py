"""A local LTI 1.3 platform for the tests: the part of an LMS that ``tfgrader lti push`` talks to,
serving real HTTP on 127.0.0.1.

It checks what a platform must (1EdTech Security Framework 1.0, AGS 2.0, NRPS 2.0):
- the client assertion: signed RS256 by a key in the tool's registered JWKS (found by ``kid``),
  ``iss`` and ``sub`` the client id, ``aud`` the token URL, not expired, ``jti`` never seen before;
- the grant type, the assertion type, and that only known scopes are asked for;
- each service call: a live bearer token that holds the service's scope, and the service's
  ``Accept`` or ``Content-Type``;
- each score: a user on the roster, the fields AGS requires, a timestamp not older than the one kept.
It stores line items and the latest score per user and line item, as a platform does.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt

from tfgrader.instructor.outputs import lti

CLIENT_ID = "10000000000042"


class Platform:
    def __init__(self, jwks: dict, members: list[dict], *, page_size: int = 2):
        self.jwks, self.members, self.page_size = jwks, members, page_size
        self.lineitems: dict[str, dict] = {}
        self.scores: dict[tuple[str, str], dict] = {}
        self.tokens: dict[str, tuple[set[str], float]] = {}
        self.seen_jti: set[str] = set()
        self.token_requests = 0
        self.token_lifetime = 3600
        self.fail_next: dict[str, int] = {}  # path prefix -> answers of 500 still to give
        self.log: list[tuple[str, str, int]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def settings(self, **overrides) -> lti.LtiPlatform:
        values = dict(issuer=self.url, client_id=CLIENT_ID, deployment_id="1:course-42", token_url=self.url + "/token",
                      lineitems_url=self.url + "/courses/42/line_items",
                      memberships_url=self.url + "/courses/42/names_and_roles", retries=2, backoff=0.01, timeout=5)
        return lti.LtiPlatform(**{**values, **overrides})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ---- the checks a platform makes

    def grant(self, form: dict[str, str]) -> tuple[int, dict]:
        self.token_requests += 1
        if form.get("grant_type") != "client_credentials" or form.get("client_assertion_type") != lti.ASSERTION_TYPE:
            return 400, {"error": "unsupported_grant_type"}
        assertion = form.get("client_assertion", "")
        try:
            kid = jwt.get_unverified_header(assertion).get("kid")
            keys = [k for k in self.jwks["keys"] if k.get("kid") == kid]
            if not keys:
                return 401, {"error": "invalid_client", "error_description": f"no registered key has kid {kid!r}"}
            claims = jwt.decode(assertion, jwt.PyJWK(keys[0]).key, algorithms=["RS256"], audience=self.url + "/token",
                                issuer=CLIENT_ID, options={"require": ["exp", "iat", "jti", "sub"]})
        except jwt.PyJWTError as exc:
            return 401, {"error": "invalid_client", "error_description": f"client assertion: {exc}"}
        if claims["sub"] != CLIENT_ID or claims["jti"] in self.seen_jti:
            return 401, {"error": "invalid_client", "error_description": "wrong subject or a replayed jti"}
        self.seen_jti.add(claims["jti"])
        scopes = set(form.get("scope", "").split())
        if not scopes or not scopes <= set(lti.SCOPES):
            return 400, {"error": "invalid_scope", "error_description": f"unknown scopes {sorted(scopes)}"}
        token = secrets.token_urlsafe(16)
        self.tokens[token] = (scopes, time.time() + self.token_lifetime)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime,
                     "scope": " ".join(sorted(scopes))}

    def authorised(self, header: str, scope: str) -> str | None:
        """Why the bearer token cannot use ``scope``; None when it can."""
        scopes, expires = self.tokens.get(header.removeprefix("Bearer "), (set(), 0))
        if time.time() >= expires:
            return "invalid or expired access token"
        return None if scope in scopes else f"the token lacks the scope {scope}"

    def score(self, item: str, body: dict) -> tuple[int, dict]:
        required = {"userId", "scoreGiven", "scoreMaximum", "activityProgress", "gradingProgress", "timestamp"}
        if not required <= set(body):
            return 400, {"error": f"missing {sorted(required - set(body))}"}
        if body["userId"] not in {m["user_id"] for m in self.members if m.get("status", "Active") == "Active"}:
            return 422, {"error": f"user {body['userId']} is not enrolled in this course"}
        kept = self.scores.get((item, body["userId"]))
        if kept and kept["timestamp"] > body["timestamp"]:
            return 409, {"error": "a later score is on record"}
        self.scores[(item, body["userId"])] = body
        return 204, {}

    # ---- HTTP

    def _handler(self):
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status: int, body=None, content_type="application/json", headers=()):
                data = b"" if status == 204 else json.dumps(body).encode()
                platform.log.append((self.command, self.path, status))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def refused(self, scope: str, media: str, header: str) -> bool:
                failing = next((p for p, n in platform.fail_next.items() if n and self.path.startswith(p)), None)
                if failing:
                    platform.fail_next[failing] -= 1
                    self.answer(500, {"error": "internal error, once"})
                    return True
                why = platform.authorised(self.headers.get("Authorization", ""), scope)
                if why:
                    self.answer(401, {"error": why})
                    return True
                if media not in (self.headers.get(header) or ""):
                    self.answer(415 if header == "Content-Type" else 406, {"error": f"{header} must be {media}"})
                    return True
                return False

            def do_GET(self):
                path, query = urlsplit(self.path).path, parse_qs(urlsplit(self.path).query)
                if path == "/courses/42/names_and_roles":
                    if self.refused(lti.ROSTER_SCOPE, lti.MEMBERSHIPS, "Accept"):
                        return
                    page = int(query.get("page", ["0"])[0])
                    size = platform.page_size
                    links = ()
                    if (page + 1) * size < len(platform.members):
                        links = (("Link", f'<{platform.url}{path}?page={page + 1}>; rel="next"'),)
                    self.answer(200, {"id": platform.url + path, "context": {"id": "42"},
                                      "members": platform.members[page * size:(page + 1) * size]},
                                lti.MEMBERSHIPS, links)
                elif path == "/courses/42/line_items":
                    if self.refused(lti.LINEITEM_SCOPE, lti.LINEITEMS, "Accept"):
                        return
                    wanted = query.get("resource_id", [None])[0]
                    self.answer(200, [i for i in platform.lineitems.values()
                                      if wanted is None or i["resourceId"] == wanted], lti.LINEITEMS)
                else:
                    self.answer(404, {"error": "not found"})

            def do_POST(self):
                path = urlsplit(self.path).path
                if path == "/token":
                    form = {k: v[0] for k, v in parse_qs(self.body().decode()).items()}
                    self.answer(*platform.grant(form))
                elif path == "/courses/42/line_items":
                    if self.refused(lti.LINEITEM_SCOPE, lti.LINEITEM, "Content-Type"):
                        return
                    item = json.loads(self.body())
                    item["id"] = f"{platform.url}{path}/{len(platform.lineitems) + 1}"
                    platform.lineitems[item["id"]] = item
                    self.answer(201, item, lti.LINEITEM)
                elif path.startswith("/courses/42/line_items/") and path.endswith("/scores"):
                    if self.refused(lti.SCORE_SCOPE, lti.SCORE, "Content-Type"):
                        return
                    item = platform.url + path.removesuffix("/scores")
                    if item not in platform.lineitems:
                        self.answer(404, {"error": "no such line item"})
                        return
                    self.answer(*platform.score(item, json.loads(self.body())))
                else:
                    self.answer(404, {"error": "not found"})

        return Handler

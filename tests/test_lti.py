"""``tfgrader lti``: LTI 1.3 grade passback (AGS, NRPS) against a local platform serving real HTTP
(tests/lti_platform.py), from the tiny course's real gradebook."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lti_platform import Platform

from tfgrader.instructor import cli
from tfgrader.instructor.course import COURSE_ID, CourseLayout
from tfgrader.instructor.outputs import lti, report

A = "tiny"


@pytest.fixture
def key(tmp_path):
    path = tmp_path / "tool.pem"
    lti.new_key(path)
    return path


@pytest.fixture
def platform(key):
    """A platform with the tool registered (its JWKS, as `tfgrader lti jwks` prints it) and a roster that
    finds ada by her LMS user id, bob by his email and cy by his login; dee is not on it, eve has no
    submission, and fay's enrolment is inactive, so the platform refuses her score."""
    members = [{"user_id": "u-ada", "roles": ["Learner"], "status": "Active"},
               {"user_id": "u-bob", "email": "Bob@Example.edu", "roles": ["Learner"], "status": "Active"},
               {"user_id": "u-cy", "lis_person_sourcedid": "cy", "roles": ["Learner"], "status": "Active"},
               {"user_id": "u-eve", "email": "eve@example.edu", "roles": ["Learner"], "status": "Active"},
               {"user_id": "u-fay", "email": "fay@example.edu", "roles": ["Learner"], "status": "Inactive"},
               {"user_id": "u-teacher", "roles": ["Instructor"], "status": "Active"}]
    server = Platform(lti.jwks(lti.LtiPlatform(private_key_file=str(key))), members)
    yield server
    server.close()


@pytest.fixture
def course(graded_tiny, tmp_path, platform, key):
    """A copy of the graded tiny course, its students' emails and LMS ids in the gradebook, and the
    platform in its nbgrader_config.py (the key only by its file's name)."""
    from nbgrader.api import Gradebook

    course = Path(shutil.copytree(graded_tiny, tmp_path / "course"))
    with Gradebook(CourseLayout(course).db_url(), COURSE_ID) as gb:
        gb.update_or_create_student("ada", lms_user_id="u-ada")
        gb.update_or_create_student("bob", email="bob@example.edu")
        gb.update_or_create_student("eve", email="eve@example.edu")
        gb.update_or_create_student("fay", email="fay@example.edu")
    settings = platform.settings(private_key_file=str(key))
    with (course / "nbgrader_config.py").open("a") as config:
        for name in (*lti.LtiPlatform.REQUIRED, "private_key_file", "retries", "backoff"):
            config.write(f"c.LtiPlatform.{name} = {getattr(settings, name)!r}\n")
    return course


def by_student(outcomes):
    return {o.student: (o.status, o.detail) for o in outcomes}


def test_push_sends_each_score_once_and_again_replaces_it(course, platform, capsys):
    """Does `tfgrader lti push` create the line item once, post each matched student's gradebook score in the
    AGS score format, report the others, and leave one score per student when it runs twice?"""
    expected = {r.student: (r.score, r.max_score) for r in report.scores(course, A)}
    assert cli.main(["--course", str(course), "lti", "push", A]) == 1  # dee and fay did not reach the platform
    printed = capsys.readouterr().out
    assert "deployment 1:course-42" in printed and "3 sent" in printed
    assert cli.main(["--course", str(course), "lti", "push"]) == 1  # every assignment in the gradebook: tiny
    capsys.readouterr()
    [item] = platform.lineitems.values()
    assert (item["resourceId"], item["label"], item["scoreMaximum"]) == (A, A, expected["ada"][1])
    assert sorted(user for _, user in platform.scores) == ["u-ada", "u-bob", "u-cy"]
    for student in ("ada", "bob", "cy"):
        score = platform.scores[(item["id"], f"u-{student}")]
        assert (score["scoreGiven"], score["scoreMaximum"]) == expected[student]
        assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    assert expected["ada"][0] == expected["ada"][1] > expected["bob"][0]
    assert platform.token_requests == 2  # one token per push, reused for all of its calls
    outcomes = by_student(lti.push(course, [A]))
    assert outcomes["dee"] == (lti.NOT_ON_ROSTER, "matched by lms_user_id, email, login")
    assert outcomes["eve"] == (lti.NO_SUBMISSION, "")
    assert outcomes["fay"][0] == lti.NO_SUBMISSION


def test_dry_run_only_reads(course, platform, capsys):
    """Does --dry-run send no score and create no line item, and print the scores it would send?"""
    assert cli.main(["--course", str(course), "lti", "push", "--dry-run", A]) == 1
    printed = capsys.readouterr().out
    assert "dry run: nothing sent" in printed and "3 would send" in printed
    assert '"userId": "u-bob"' in printed and "a new line item" in printed
    assert not platform.lineitems and not platform.scores
    assert all(method == "GET" or path == "/token" for method, path, _ in platform.log)


def test_a_refused_score_does_not_stop_the_others(course, platform):
    """When the platform refuses one student's score, is its reason reported and the rest still sent?"""
    from nbgrader.api import Gradebook

    with Gradebook(CourseLayout(course).db_url(), COURSE_ID) as gb:  # fay submitted, but her enrolment ended
        gb.update_or_create_student("cy", email="fay@example.edu")
    outcomes = by_student(lti.push(course, [A]))
    assert outcomes["cy"] == (lti.REFUSED, "HTTP 422: user u-fay is not enrolled in this course")
    assert outcomes["ada"][0] == outcomes["bob"][0] == lti.SENT


def test_a_server_error_is_retried(course, platform):
    """Does a 500 from the score service get retried, so that every score still arrives?"""
    platform.fail_next["/courses/42/line_items/"] = 1
    outcomes = by_student(lti.push(course, [A]))
    assert [o[0] for o in outcomes.values()].count(lti.SENT) == 3
    assert [status for _, _, status in platform.log].count(500) == 1


def test_an_expired_token_is_renewed_once(platform, key):
    """When the platform no longer takes the cached token, is a new one fetched and the call made again?"""
    client = lti.Client(platform.settings(private_key_file=str(key)))
    client.token()
    platform.tokens = {token: (scopes, 0) for token, (scopes, _) in platform.tokens.items()}  # all expired
    assert client.pages(platform.settings().lineitems_url, lti.LINEITEMS) == []
    assert platform.token_requests == 2
    assert [status for _, _, status in platform.log] == [200, 401, 200, 200]


def test_a_key_the_platform_does_not_know_sends_nothing(course, platform, tmp_path, monkeypatch, capsys):
    """With a key that is not the registered one, does the push stop before any score, and say why?"""
    other = tmp_path / "other.pem"
    lti.new_key(other)
    monkeypatch.setenv(lti.KEY_FILE_ENV, str(other))
    assert cli.main(["--course", str(course), "lti", "push", A]) == 2
    err = capsys.readouterr().err
    assert "refused the tool an access token" in err and "no registered key has kid" in err
    assert not platform.scores and not platform.tokens


def test_keys_and_jwks(course, tmp_path, capsys):
    """Does `tfgrader lti key` write a private key only its owner can read, never over another, and
    `tfgrader lti jwks` print its public half? Is a key that others can read refused?"""
    path = tmp_path / "new.pem"
    assert cli.main(["--course", str(course), "lti", "key", str(path)]) == 0
    assert path.stat().st_mode & 0o777 == 0o600
    assert cli.main(["--course", str(course), "lti", "key", str(path)]) == 2
    capsys.readouterr()
    assert cli.main(["--course", str(course), "lti", "jwks"]) == 0
    [jwk] = json.loads(capsys.readouterr().out)["keys"]
    assert (jwk["kty"], jwk["alg"], jwk["use"]) == ("RSA", "RS256", "sig") and "d" not in jwk
    assert cli.main(["--course", str(course), "lti", "jwks", "--jwk"]) == 0
    assert json.loads(capsys.readouterr().out) == jwk
    path.chmod(0o644)
    with pytest.raises(lti.LtiError, match="can be read by others"):
        lti.private_key(lti.LtiPlatform(private_key_file=str(path)))
    with pytest.raises(lti.LtiError, match="Set c.LtiPlatform.issuer"):
        lti.push(course, [A], settings=lti.LtiPlatform())

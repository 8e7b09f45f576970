"""Do assignment 01's graders give the right points through the real pipeline?

One scratch copy of the course is graded once (module fixture): the reference,
the untouched release copy, every wrong sample in graders/, a broken notebook
and a rerun. The tests only read the results.
"""

import json

import pytest

from tfgrader import pipeline, samples
from tfgrader.validate import copy_course, outcomes, submit_all

A = "01-keras-overview"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(course, mnist_available, tmp_path_factory):
    scratch = copy_course(course, tmp_path_factory.mktemp("a01") / "course")
    pipeline.generate(scratch, A)
    expected = submit_all(scratch, A)
    broken = scratch / "submitted" / "broken" / A / f"{A}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [ this is not json')
    runs = {r.student: r for r in pipeline.autograde_all(scratch, A)}
    first = {s: results(scratch, s) for s in ("reference", "relu_output")}
    for student in first:  # grade again, from scratch, to compare
        pipeline.autograde(scratch, A, student)
    return {"course": scratch, "runs": runs, "first": first,
            "outcomes": {o.student: o for o in outcomes(scratch, A, expected, runs)}}


def results(course, student):
    return json.loads((course / "autograded" / student / A / ".tfgrader" / "results.json").read_text())["checks"]


def test_reference_scores_full_points(graded):
    """Does the reference solution pass every check?"""
    outcome = graded["outcomes"]["reference"]
    assert outcome.lost == frozenset(), outcome.messages
    assert outcome.score == 13


def test_release_copy_scores_zero_without_crashing(graded):
    """Does the untouched student copy get 0 points, each check with a message?"""
    outcome = graded["outcomes"]["release"]
    assert graded["runs"]["release"].ok
    assert outcome.score == 0 and outcome.ok
    assert all(message and "Traceback" not in message for message in outcome.messages.values())


@pytest.mark.parametrize("sample", samples.samples(__import__("conftest").COURSE, A), ids=lambda s: s.name)
def test_wrong_submission_loses_exactly_its_checks(graded, sample):
    """Does each wrong submission lose exactly the checks it violates?"""
    outcome = graded["outcomes"][sample.name]
    assert outcome.lost == sample.loses, outcome.messages
    assert outcome.ok


def test_messages_say_what_to_fix(graded):
    """Are failure messages specific enough to act on?"""
    messages = {s: graded["outcomes"][s].messages for s in ("wrong_units", "no_dropout", "unscaled", "not_compiled")}
    assert "has 12 units; this exercise asks for 10" in messages["wrong_units"]["architecture"]
    assert "Dropout" in messages["no_dropout"]["architecture"]
    assert "scale it to floats" in messages["unscaled"]["scaling"]
    assert "never compiled" in messages["not_compiled"]["compiled"]


def test_rerun_gives_identical_results(graded):
    """Does grading the same submission again give the same points and messages?"""
    for student, first in graded["first"].items():
        assert results(graded["course"], student) == first


def test_broken_notebook_is_reported_and_batch_goes_on(graded):
    """Is an unreadable notebook reported while the others are still graded?"""
    run = graded["runs"]["broken"]
    assert not run.ok and run.error
    assert graded["runs"]["reference"].ok and graded["runs"]["wrong_units"].ok


def test_feedback_shows_messages_but_no_hidden_code(graded):
    """Does the student's feedback carry the check's message and no grader code?"""
    html = (pipeline.feedback(graded["course"], A, "relu_output") / f"{A}.html").read_text()
    assert "uses the &#39;relu&#39; activation" in html or "uses the 'relu' activation" in html
    for secret in ("HIDDEN TESTS", "tfgrader.check(", "MIN_RETRAINED_ACCURACY", "expect_layers", "retrain("):
        assert secret not in html


def test_endless_loop_costs_only_that_submission(course, mnist_available, tmp_path):
    """Does a loop that swallows interrupts end with 0 points and a message, not a stuck batch?"""
    from samples_01_keras_overview import ENDLESS

    scratch = copy_course(course, tmp_path / "course")
    pipeline.generate(scratch, A)
    samples.submit(scratch, A, ENDLESS.name, samples.apply(samples.reference(scratch, A), ENDLESS))
    run = pipeline.autograde(scratch, A, ENDLESS.name, "--Execute.timeout=20",
                             "--BoundedExecute.notebook_timeout=300", budget_s=400)
    assert run.ok, run.error
    from tfgrader import report

    (row,) = report.scores(scratch, A)
    assert row.score == 0 and set(row.failed) == ENDLESS.loses
    assert all("not run" in message for message in row.failed.values())

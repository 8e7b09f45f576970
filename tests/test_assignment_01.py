"""Assignment 01 specifics: actionable messages and a hostile submission.

The generic pipeline checks for every assignment are in test_assignments.py.
"""

import pytest

from tfgrader.instructor import pipeline, report, samples
from tfgrader.instructor.validate import copy_course

A = "01-keras-overview"
pytestmark = pytest.mark.slow


def test_messages_say_what_to_fix(graded):
    """Are failure messages specific enough to act on?"""
    outcomes = graded(A).outcomes
    assert "has 12 units; this exercise asks for 10" in outcomes["wrong_units"].messages["architecture"]
    assert "Dropout" in outcomes["no_dropout"].messages["architecture"]
    assert "scale it to floats" in outcomes["unscaled"].messages["scaling"]
    assert "never compiled" in outcomes["not_compiled"].messages["compiled"]
    assert outcomes["reference"].score == 13


def test_endless_loop_costs_only_that_submission(course, datasets_available, tmp_path):
    """Does a loop that ignores interrupts end with 0 points and a message, not a stuck batch?"""
    from samples_01_keras_overview import ENDLESS

    scratch = copy_course(course, tmp_path / "course")
    pipeline.generate(scratch, A)
    samples.submit(scratch, A, ENDLESS.name, samples.apply(samples.reference(scratch, A), ENDLESS))
    run = pipeline.autograde(scratch, A, ENDLESS.name, "--Execute.timeout=20",
                             "--BoundedExecute.notebook_timeout=300", budget_s=400)
    assert run.ok, run.error
    (row,) = report.scores(scratch, A)
    assert row.score == 0 and set(row.failed) == ENDLESS.loses
    assert all("not run" in message for message in row.failed.values())


def test_plain_nbgrader_export_sees_the_grades(graded):
    """Does plain `nbgrader export` report the scores the autograder stored?"""
    import csv

    result = graded(A)
    proc = pipeline.nbgrader(result.course, "export")
    assert proc.returncode == 0, proc.stderr[-500:]
    rows = {r["student_id"]: float(r["score"]) for r in csv.DictReader((result.course / "grades.csv").open())
            if r["assignment"] == A}
    assert rows["reference"] == 13 and rows["release"] == 0

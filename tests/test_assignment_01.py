"""Assignment 01 specifics: actionable messages, and plain nbgrader export.

The generic pipeline checks for every assignment are in test_assignments.py;
hostile submissions (endless loops included) are in test_hostile.py.
"""

import pytest

from tfgrader.instructor.batch import runner
from conftest import assert_says


A = "01-keras-overview"
pytestmark = pytest.mark.slow


def test_messages_say_what_to_fix(graded):
    """Are failure messages specific enough to act on?"""
    outcomes = graded(A).outcomes
    assert_says(outcomes, [
        ("wrong_units", "architecture", "has 12 units; this exercise asks for 10"),
        ("no_dropout", "architecture", "Dropout"),
        ("unscaled", "scaling", "scale it to floats"),
        ("not_compiled", "compiled", "never compiled"),
    ])
    assert outcomes["reference"].score == 13


def test_plain_nbgrader_export_sees_the_grades(graded):
    """Does plain `nbgrader export` report the scores the autograder stored?"""
    import csv

    result = graded(A)
    proc = runner.nbgrader(result.course, "export")
    assert proc.returncode == 0, proc.stderr[-500:]
    rows = {r["student_id"]: float(r["score"]) for r in csv.DictReader((result.course / "grades.csv").open())
            if r["assignment"] == A}
    assert rows["reference"] == 13 and rows["release"] == 0

"""``tfgrader grade``: one notebook graded outside any gradebook, with the
same points and messages as an nbgrader batch, written as Gradescope JSON and
JUnit XML that their schemas accept (tests/schemas/)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from tfgrader.instructor import cli
from tfgrader.instructor.course import CourseLayout
from tfgrader.instructor.outputs import report

pytestmark = pytest.mark.slow
SCHEMAS = Path(__file__).parent / "schemas"
A = "tiny"


def grade(course: Path, notebook: Path, assignment: str, out: Path) -> tuple[int, dict, ET.Element]:
    """Run ``tfgrader grade`` and return its exit code and its two outputs, checked against their schemas."""
    json_path, junit_path = out / f"{notebook.stem}.json", out / f"{notebook.stem}.xml"
    code = cli.main(["--course", str(course), "grade", str(notebook), "--assignment", assignment,
                     "--json", str(json_path), "--junit", str(junit_path)])
    results = json.loads(json_path.read_text())
    jsonschema.validate(results, json.loads((SCHEMAS / "gradescope_results.json").read_text()))
    xmlschema.XMLSchema(SCHEMAS / "junit.xsd").validate(junit_path)
    return code, results, ET.parse(junit_path).getroot()


@pytest.fixture(scope="module")
def tiny(graded_tiny):
    """The tiny course, with a right (ada's) and a wrong (bob's) notebook graded as an nbgrader batch for
    comparison."""
    notebooks = {kind: CourseLayout(graded_tiny).submitted_notebook(student, A)
                 for kind, student in (("right", "ada"), ("wrong", "bob"))}
    batch = {kind: row for row in report.scores(graded_tiny, A)
             for kind, student in (("right", "ada"), ("wrong", "bob")) if row.student == student}
    return graded_tiny, notebooks, batch


@pytest.mark.parametrize("student", ["right", "wrong"])
def test_grade_gives_the_points_and_messages_of_a_batch(tiny, student, tmp_path):
    """Does one notebook graded alone score exactly as in an nbgrader batch, check by check, in valid JSON and JUnit?"""
    course, notebooks, batch = tiny
    code, results, xml = grade(course, notebooks[student], A, tmp_path)
    assert code == 0
    expected = batch[student]
    assert (results["score"], results["max_score"]) == (expected.score, expected.max_score)
    assert [(t["name"], t["score"], t["max_score"]) for t in results["tests"]] == [
        (c.name, c.score, c.max_score) for c in expected.checks]
    failures = {case.get("name").split(" (")[0]: case.find("failure").get("message")
                for case in xml.iter("testcase") if case.find("failure") is not None}
    assert failures == expected.failed
    assert {t["name"]: t["output"] for t in results["tests"] if t["score"] < t["max_score"]} == expected.failed
    assert not (course / "submitted" / "student").exists()  # nothing of it lands in the course


def test_unreadable_notebook_scores_zero_with_a_reason(tiny, tmp_path):
    """Is a notebook that is not JSON graded 0 on every check, each saying why, with exit code 0?"""
    course, _, _ = tiny
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [ this is not json')
    code, results, xml = grade(course, broken, A, tmp_path)
    assert code == 0 and results["score"] == 0 and results["max_score"] == 3
    assert all(t["output"].startswith("Your notebook could not be graded") for t in results["tests"])
    assert len(list(xml.iter("failure"))) == 2


def test_grading_that_cannot_run_exits_non_zero(tiny, tmp_path, capsys):
    """Does an unknown assignment or a missing file give exit code 2 and say why?"""
    course, notebooks, _ = tiny
    assert cli.main(["--course", str(course), "grade", str(notebooks["right"]), "--assignment", "nope"]) == 2
    assert "no assignment 'nope'" in capsys.readouterr().err
    assert cli.main(["--course", str(course), "grade", str(tmp_path / "missing.ipynb"), "--assignment", A]) == 2
    assert "is not a file" in capsys.readouterr().err

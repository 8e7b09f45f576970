"""Can a student check their work before submitting, and does it never claim more than it knows?

Run on the tiny course (its ``answer`` check is public, ``notes`` hidden), in a
real kernel, as a student runs the release notebook with their solution.
"""

import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import tiny_course
from nbclient import NotebookClient

from tfgrader.instructor.authoring import samples

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return tiny_course(tmp_path_factory.mktemp("tiny") / "course", {})


def student_copy(course, tmp_path, edits=()):
    """The student's folder: the release (notebook and public_checks.py), their solution filled in."""
    folder = shutil.copytree(course / "release" / "tiny", tmp_path / "tiny")
    reference = samples.apply(samples.reference(course, "tiny"), samples.Sample("student", "", tuple(edits)))
    released = nbformat.read(folder / "tiny.ipynb", 4)
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in reference.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in released.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    nbformat.write(released, folder / "tiny.ipynb")
    return folder


def run(folder, env=None):
    """Run the notebook as the student does; every cell's text and HTML output, by cell."""
    nb = nbformat.read(folder / "tiny.ipynb", 4)
    old = dict(os.environ)
    os.environ.pop("NBGRADER_EXECUTION", None)
    os.environ.update(env or {})
    try:
        NotebookClient(nb, timeout=120, allow_errors=True, resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return [(cell, "\n".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") or
                             "\n".join(o.get("traceback", [])) for o in cell.get("outputs", [])))
            for cell in nb.cells if cell.cell_type == "code"]


def output_of(cells, text):
    return next(out for cell, out in cells if text in cell.source)


def test_correct_work_passes_public_checks_and_names_hidden_ones(course, tmp_path):
    """Does the self-check pass the public check, call the hidden one "checked only when graded", and say
    that this is not the grade?"""
    cells = run(student_copy(course, tmp_path))
    table = output_of(cells, "tfgrader.self_check()")
    assert "passed  answer (2 points)" in table
    assert "hidden  notes (1 point): checked only when graded" in table
    assert ("1 of 1 public checks passed; 1 more check (1 point) is checked only when graded, "
            "so this is not your grade") in table
    assert "all passed" not in table.lower() and "all tests" not in table.lower()
    assert "Passed: answer (2 points; a public check)" in output_of(cells, 'self_check("answer")')


def test_wrong_work_fails_with_its_message(course, tmp_path):
    """Does a wrong answer fail its public check with the grader's message, in the table and in its cell?"""
    cells = run(student_copy(course, tmp_path, [("answer", "answer = 6 * 7", "answer = 41")]))
    table = output_of(cells, "tfgrader.self_check()")
    assert "FAILED  answer (2 points): `answer` is 41; it should be 6 times 7." in table
    assert "0 of 1 public checks passed" in table
    check_cell = output_of(cells, 'self_check("answer")')
    assert "CheckFailed" in check_cell and "`answer` is 41" in check_cell


def test_self_check_does_not_run_while_autograding(course, tmp_path):
    """Does the self-check cell stay out of the way when nbgrader autogrades?"""
    cells = run(student_copy(course, tmp_path), env={"NBGRADER_EXECUTION": "autograde"})
    assert "does not run while the notebook is graded" in output_of(cells, "tfgrader.self_check()")


def test_nbgrader_validate_reports_failed_public_checks(course, tmp_path):
    """Does `nbgrader validate` pass finished work, and fail the unfinished release copy and wrong work
    with the public check's message?"""
    def validate(folder):
        return subprocess.run([os.path.join(os.path.dirname(sys.executable), "nbgrader"), "validate",
                               str(folder / "tiny.ipynb")], capture_output=True, text=True, cwd=folder,
                              timeout=300)

    assert "Success!" in validate(student_copy(course, tmp_path / "good")).stdout
    wrong = validate(student_copy(course, tmp_path / "wrong", [("answer", "answer = 6 * 7", "answer = 41")]))
    assert "VALIDATION FAILED ON 1 CELL(S)" in wrong.stdout and "`answer` is 41" in wrong.stdout
    release = tmp_path / "release"
    shutil.copytree(course / "release" / "tiny", release)
    unfinished = validate(release)
    assert "VALIDATION FAILED" in unfinished.stdout and "`answer`" in unfinished.stdout

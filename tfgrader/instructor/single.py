"""Grade one notebook outside any course database: ``tfgrader grade``.

For CI and hosted graders (Gradescope, a GitHub Action). The notebook is
graded by the same nbgrader pipeline as a batch (sandbox, trusted verdict,
the same checks, points and messages) in a scratch copy of the course with a
gradebook of its own, which is thrown away afterwards. The result can be
written in Gradescope's ``results.json`` shape and as JUnit XML.
"""

from __future__ import annotations

import shutil
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from tfgrader.course import declared_checks, grader_module
from tfgrader.instructor import pipeline, report
from tfgrader.instructor.validate import copy_course

STUDENT = "student"


class CannotGrade(Exception):
    """Grading itself could not run (not: the notebook scored badly)."""


def grade(course: Path, notebook: Path, assignment: str) -> report.Score:
    """Grade ``notebook`` as a submission of ``assignment`` of ``course``.

    A notebook that cannot be read or run still gets a score: 0 for every
    check, each with the reason.

    Raises:
        CannotGrade: the assignment or the notebook file does not exist, or
            nbgrader could not set the assignment up.
        SandboxUnavailable: the sandbox the course asks for cannot run here.
    """
    module = grader_module(course, assignment)
    if not module.exists() or not (course / "source" / assignment).is_dir():
        raise CannotGrade(f"the course at {course} has no assignment {assignment!r} (no {module.name} "
                          f"or source/{assignment}/)")
    if not notebook.is_file():
        raise CannotGrade(f"{notebook} is not a file")
    with tempfile.TemporaryDirectory(prefix="tfgrader-grade-") as scratch:
        work = copy_course(course, Path(scratch) / "course")
        try:
            pipeline.generate(work, assignment)
        except RuntimeError as exc:
            raise CannotGrade(str(exc)) from None
        target = work / "submitted" / STUDENT / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True)
        shutil.copyfile(notebook, target)
        [run] = pipeline.autograde_all(work, assignment, names=[STUDENT], force=True)
        scored = report.scores(work, assignment)
    if run.ok and scored:
        return scored[0]
    reason = f"Your notebook could not be graded: {run.error or 'nbgrader recorded no grades'}"
    checks = [report.CheckScore(name, 0.0, points, reason) for name, points in declared_checks(module).items()]
    return report.Score(STUDENT, assignment, 0.0, float(sum(c.max_score for c in checks)),
                        failed={c.name: reason for c in checks}, checks=checks)


def gradescope(score: report.Score) -> dict:
    """Gradescope's ``results.json``: the total, and one test per check with its message."""
    return {
        "score": score.score,
        "max_score": score.max_score,
        "tests": [{"name": check.name, "score": check.score, "max_score": check.max_score,
                   "output": check.message or "Passed.", "visibility": "visible"}
                  for check in score.checks],
    }


def junit(score: report.Score) -> str:
    """JUnit XML: one testcase per check; a check that lost points is a failure
    whose message is the student's message."""
    failures = sum(1 for check in score.checks if check.score < check.max_score)
    suites = ET.Element("testsuites", name="tfgrader", tests=str(len(score.checks)), failures=str(failures))
    suite = ET.SubElement(suites, "testsuite", name=score.assignment, tests=str(len(score.checks)),
                          failures=str(failures), errors="0", skipped="0")
    for check in score.checks:
        case = ET.SubElement(suite, "testcase", classname=score.assignment,
                             name=f"{check.name} ({check.score:g}/{check.max_score:g} points)")
        if check.score < check.max_score:
            failure = ET.SubElement(case, "failure", message=check.message, type="CheckFailed")
            failure.text = check.message
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"

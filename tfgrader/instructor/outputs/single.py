"""Grade one notebook outside any course database: ``tfgrader grade``.

For CI and hosted graders (Gradescope, a GitHub Action). The notebook is
graded by the same nbgrader pipeline as a batch (sandbox, trusted verdict,
the same checks, points and messages) in a scratch copy of the course with a
gradebook of its own, which is thrown away afterwards. The result can be
written in Gradescope's ``results.json`` shape and as JUnit XML
(:meth:`tfgrader.wire.Results.gradescope`, :meth:`~tfgrader.wire.Results.junit`).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tfgrader.instructor.authoring.public import generate
from tfgrader.instructor.batch.schedule import autograde_all
from tfgrader.instructor.course import CONFIG, CourseLayout, copy_course
from tfgrader.instructor.outputs import report
from tfgrader.wire import Results
from tfgrader.wire.declarations import declared_checks

STUDENT = "student"


class CannotGrade(Exception):
    """Grading itself could not run (not: the notebook scored badly)."""


def is_prepared(course: Path, assignment: str) -> bool:
    """Whether ``course`` holds ``assignment`` generated, without its source: its release and a gradebook
    that nbgrader generated it into, as a Gradescope autograder does (:mod:`.gradescope`)."""
    layout = CourseLayout(course)
    return (not layout.source(assignment).is_dir() and layout.release_notebook(assignment).is_file()
            and (course / "gradebook.db").is_file())


def grade(course: Path, notebook: Path, assignment: str) -> Results:
    """Grade ``notebook`` as a submission of ``assignment`` of ``course``, generated from its source or
    already generated (:func:`is_prepared`).

    A notebook that cannot be read or run still gets a score: 0 for every
    check, each with the reason.

    Raises:
        CannotGrade: the assignment or the notebook file does not exist, or
            nbgrader could not set the assignment up.
        SandboxUnavailable: the sandbox the course asks for cannot run here.
    """
    layout = CourseLayout(course)
    module = layout.grader(assignment)
    prepared = is_prepared(course, assignment)
    if not module.exists() or not (layout.source(assignment).is_dir() or prepared):
        raise CannotGrade(f"the course at {course} has no assignment {assignment!r} (no {module.name} "
                          f"or source/{assignment}/)")
    if not notebook.is_file():
        raise CannotGrade(f"{notebook} is not a file")
    with tempfile.TemporaryDirectory(prefix="tfgrader-grade-") as scratch:
        work = Path(scratch) / "course"
        if prepared:
            shutil.copytree(course, work, ignore=shutil.ignore_patterns("__pycache__", "submitted", "autograded"))
        else:
            copy_course(course, work)
        with (work / CONFIG).open("a") as config:  # a gradebook of its own, whatever the course uses
            config.write(f"\nc.CourseDirectory.db_url = 'sqlite:///{work / 'gradebook.db'}'\n")
        try:
            if not prepared:
                generate(work, assignment)
        except RuntimeError as exc:
            raise CannotGrade(str(exc)) from None
        target = CourseLayout(work).submitted_notebook(STUDENT, assignment)
        target.parent.mkdir(parents=True)
        shutil.copyfile(notebook, target)
        [run] = autograde_all(work, assignment, names=[STUDENT], force=True)
        scored = report.scores(work, assignment)
    if run.ok and scored:
        return scored[0]
    reason = f"Your notebook could not be graded: {run.error or 'nbgrader recorded no grades'}"
    return Results.failing(declared_checks(module), reason, student=STUDENT, assignment=assignment)

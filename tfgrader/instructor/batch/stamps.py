"""Stamps: a batch that is killed loses no grade, and grades nobody twice.

Each student's grading ends by writing a stamp
(:meth:`CourseLayout.stamp <tfgrader.instructor.course.CourseLayout.stamp>`) with
the fingerprint of what was graded: the submission's files, and the
assignment's grader, source folder, the shared grading code and
``nbgrader_config.py``. The next batch skips a student whose stamp matches,
and throws away and regrades an autograded folder without one (a run that was
stopped half-way). nbgrader keeps one submission per student and assignment
in the gradebook, so a regrade replaces the old grades: nobody is counted twice.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from tfgrader.instructor.course import CourseLayout


def fingerprint(course: Path, assignment: str, student: str) -> str:
    """The sha256 of everything a grade depends on: the student's submitted
    files, the assignment's grader and source folder, the shared grading code
    and the course's ``nbgrader_config.py``."""
    import tfgrader

    package, layout = Path(tfgrader.__file__).parent, CourseLayout(course)
    digest = hashlib.sha256()
    for label, root in (("submission", layout.submitted(student, assignment)),
                        ("source", layout.source(assignment)),
                        ("grader", layout.grader(assignment)),
                        ("config", layout.config),
                        ("grading", package / "grading"),
                        ("student", package / "student"),
                        ("wire", package / "wire")):
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in files:
            if "__pycache__" in path.parts or ".ipynb_checkpoints" in path.parts:
                continue
            name = f"{label}/{path.relative_to(root) if root.is_dir() else ''}\0".encode()
            if path.is_symlink():  # a student's link counts as its text, never followed
                digest.update(name + os.readlink(path).encode())
            elif path.is_file():
                digest.update(name + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def is_current(course: Path, assignment: str, student: str) -> bool:
    """Whether ``student`` was graded to the end on exactly what is there now."""
    path = CourseLayout(course).stamp(student, assignment)
    try:
        recorded = json.loads(path.read_text())["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return recorded == fingerprint(course, assignment, student)


def write(course: Path, assignment: str, student: str, record: dict) -> None:
    """Write the stamp atomically: it is there whole, or not at all."""
    path = CourseLayout(course).stamp(student, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(record))
    os.replace(partial, path)




def read(course: Path, assignment: str, student: str) -> dict | None:
    """The stamp of ``student``'s last grading that ended, or None."""
    try:
        return json.loads(CourseLayout(course).stamp(student, assignment).read_text())
    except (OSError, ValueError):
        return None

"""The part of the runtime that runs inside the student's kernel (untrusted).

It does three things only:

- :func:`autograding` lets a notebook know whether nbgrader is running it,
  so training can be shortened;
- :func:`export_for_grading` writes the objects a grader asks for into the
  export folder. The instructor side calls it once, after the student's last
  cell, in the sandboxed kernel (see :mod:`tfgrader.instructor.nbgrader_ext`);
- :func:`check` stands in the hidden check cells. Autograding never runs
  those cells in the kernel: their outputs are written by the trusted side;
- :func:`self_check` lets the student run the assignment's public checks
  (``public_checks.py``, shipped beside the notebook) before submitting.

Nothing here decides a grade. Replacing or patching this module from a
solution cell changes at most which objects are handed over, and those are
then measured honestly in a separate, confined process.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tfgrader.student.exports import export_all
from tfgrader.student.self_check import self_check

__all__ = ["CheckFailed", "autograding", "check", "export_for_grading", "self_check"]


def autograding() -> bool:
    """Tell whether nbgrader is executing this notebook (autograde or validate)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def export_for_grading(requested: dict, export_dir: str, workdir: str | None = None) -> None:
    """Write the objects ``requested`` (a grader's ``EXPORTS``) from the
    notebook's namespace into ``export_dir``. Called by the instructor side."""
    folder = Path(export_dir)
    for path in folder.iterdir():
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    export_all(requested, _user_namespace(), folder, Path(workdir) if workdir else None)


def check(assignment: str, name: str) -> None:
    """One hidden check of ``assignment``, in its check cell.

    When nbgrader autogrades, this cell is not run in the kernel: the trusted
    side fills its output with the verdict. Run by hand, it grades the
    notebook the same way (export, then the sandboxed grading process) where
    the course's graders are at hand, as for an instructor writing ``source/``.
    """
    from tfgrader.course import find_course_dir, grader_module, requested

    try:
        course = find_course_dir()
    except FileNotFoundError:
        print(f"Check '{name}' runs when your notebook is graded.")
        return
    from tfgrader.instructor import verdict

    module = grader_module(course, assignment)
    export_dir = Path.cwd() / ".tfgrader" / "export"
    export_dir.mkdir(parents=True, exist_ok=True)
    export_for_grading(requested(module), str(export_dir))
    result = verdict.grade(module, export_dir)["checks"].get(name)
    if result is None:
        raise CheckFailed(f"The grader has no check called {name!r}.")
    if not result["passed"]:
        raise CheckFailed(result["message"])
    print(f"Passed: {name} ({result['points']:g} point{'s' if result['points'] != 1 else ''})")


class CheckFailed(Exception):
    """A check did not pass; the message is written for the student."""


def _user_namespace() -> dict:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - plain Python
        get_ipython = None
    shell = get_ipython() if get_ipython else None
    if shell is not None:
        return shell.user_ns
    import __main__

    return vars(__main__)

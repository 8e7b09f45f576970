"""The part of the runtime that runs inside the student's kernel (untrusted).

It does three things only:

- :func:`autograding` lets a notebook know whether nbgrader is running it,
  so training can be shortened;
- :func:`export_for_grading` writes the objects a grader asks for into the
  export folder. The instructor side calls it once, after the student's last
  cell, in the sandboxed kernel (see :mod:`tfgrader.instructor.preprocessors.execute`);
- :func:`check` stands in the hidden check cells. Autograding never runs
  those cells in the kernel: their outputs are written by the trusted side;
- :func:`self_check` lets the student run the assignment's public checks
  (``public_checks.py``, shipped beside the notebook) before submitting.

Nothing here decides a grade. Replacing or patching this module from a
solution cell changes at most which objects are handed over, and those are
then measured honestly in a separate, confined process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tfgrader import wire
from tfgrader.student.exports import export_all
from tfgrader.student.self_check import self_check
from tfgrader.wire import messages

# Run by hand, a check asks the instructor side in a process of its own (see check()).
BY_HAND = "tfgrader.instructor.authoring.by_hand"
NO_COURSE = 3

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
    the course's graders are at hand, as for an instructor writing ``source/``:
    the instructor side is asked in processes of its own
    (:mod:`tfgrader.instructor.authoring.by_hand`), never imported here.
    """
    asked = _by_hand("exports", assignment)
    if asked.returncode == NO_COURSE:
        print(f"Check '{name}' runs when your notebook is graded.")
        return
    export_dir = Path.cwd() / wire.EXPORT_DIRNAME / "export"
    export_dir.mkdir(parents=True, exist_ok=True)
    export_for_grading(json.loads(asked.stdout), str(export_dir))
    out = export_dir.parent / wire.RESULTS
    _by_hand("grade", assignment, str(export_dir), str(out))
    results = wire.Results.load(out)
    result = results.check(name) if results else None
    if result is None:
        raise CheckFailed(messages.no_such_check(name))
    if not result.passed:
        raise CheckFailed(result.message or messages.DID_NOT_PASS)
    print(messages.passed(name, result.max_score))


def _by_hand(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", BY_HAND, *args], capture_output=True, text=True)
    if proc.returncode not in (0, NO_COURSE):
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise CheckFailed(f"The check could not run: {messages.one_line(last)}")
    return proc


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

"""The part of the runtime that runs inside the student's kernel.

It does two things only: it lets a notebook know whether nbgrader is running
it (so training can be shortened), and it hands the student's objects to the
clean grading process as files. It never judges anything: the grade is
measured in a separate Python process that never imports the student's code
(see :mod:`tfgrader.grading`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tfgrader.student import exports
from tfgrader.course import declared_checks, find_course_dir, grader_module, requested

EXPORT_DIRNAME = ".tfgrader"
GRADER_TIMEOUT_S = int(os.environ.get("TFGRADER_GRADER_TIMEOUT", "240"))
# Only these variables reach the grading process: a student can change the
# kernel's environment (PYTHONPATH, sitecustomize tricks), not the grader's.
_PASSED_ENV = ("PATH", "HOME", "LANG", "TFGRADER_DATA_DIR", "TFGRADER_NO_DOWNLOAD", "KERAS_HOME", "TMPDIR")

_results: dict[str, dict] = {}


class CheckFailed(Exception):
    """A hidden check did not pass; the message is written for the student."""


def autograding() -> bool:
    """Tell whether nbgrader is executing this notebook (autograde or validate)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def check(assignment: str, name: str) -> None:
    """Report one hidden check of ``assignment`` in a notebook cell.

    The first call grades the whole submission once (export, then one clean
    grading process); later calls only read the stored result.

    Raises:
        CheckFailed: with the student-facing message when the check failed.
    """
    __tracebackhide__ = True  # noqa: F841 (pytest and IPython hide this frame)
    if assignment not in _results:
        _show_briefly(CheckFailed)
        try:
            _results[assignment] = grade_namespace(assignment, _user_namespace())
        except Exception as exc:  # noqa: BLE001 - a broken course set-up must not show runtime code
            raise CheckFailed(f"The grader could not run ({type(exc).__name__}: {exc}); "
                              "please tell your instructor.") from None
    result = _results[assignment]["checks"].get(name)
    if result is None:
        raise CheckFailed(f"The grader has no check called {name!r}; please tell your instructor.")
    if not result["passed"]:
        raise CheckFailed(result["message"])
    points = result["points"]
    print(f"Passed: {name} ({points} point{'s' if points != 1 else ''})")


def grade_namespace(assignment: str, namespace: dict, workdir: Path | None = None) -> dict:
    """Export the objects the graders ask for and grade them in a clean process.

    Returns:
        The results dictionary written by :mod:`tfgrader.grading`. When grading
        itself breaks, every check is reported as failed with the reason.
    """
    course = find_course_dir()
    module = grader_module(course, assignment)
    export_dir = (workdir or Path.cwd()) / EXPORT_DIRNAME
    shutil.rmtree(export_dir, ignore_errors=True)
    export_dir.mkdir(parents=True)
    exports.export_all(requested(module), namespace, export_dir)
    try:
        return _run_grader(module, export_dir)
    finally:
        # Keep the record of what was graded, drop the bulky copies.
        for path in export_dir.iterdir():
            if path.name in (exports.MANIFEST, "results.json"):
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink()


def _run_grader(module: Path, export_dir: Path) -> dict:
    env = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ}
    env.update(PY_COLORS="0", TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    out = export_dir / "results.json"
    # -I: isolated mode, so nothing from the student's directory or
    # environment is imported into the grading process.
    cmd = [sys.executable, "-I", "-m", "tfgrader.grading", str(module), str(export_dir), "--out", str(out)]
    try:
        proc = subprocess.run(cmd, env=env, cwd=export_dir, capture_output=True, text=True,
                              timeout=GRADER_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return _all_failed(module, f"Grading took longer than {GRADER_TIMEOUT_S} s and was stopped.")
    if proc.returncode != 0 or not out.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return _all_failed(module, f"The grader could not run ({tail[0]}); please tell your instructor.")
    return json.loads(out.read_text())


def _all_failed(module: Path, message: str) -> dict:
    checks = {name: {"passed": False, "points": pts, "message": message}
              for name, pts in declared_checks(module).items()}
    return {"checks": checks}


def _show_briefly(error: type[Exception]) -> None:
    """Show ``error`` in IPython as one line: no traceback into the runtime."""
    shell = _shell()
    if shell is not None:
        shell.set_custom_exc((error,), _one_line_traceback)


def _one_line_traceback(shell, etype, value, tb, tb_offset=None) -> list[str]:
    lines = [f"{etype.__name__}: {value}"]
    shell._showtraceback(etype, value, lines)  # publishes the error output
    return lines


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - plain Python
        return None
    return get_ipython()


def _user_namespace() -> dict:
    shell = _shell()
    if shell is not None:
        return shell.user_ns
    import __main__

    return vars(__main__)

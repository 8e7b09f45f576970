"""Thin wrappers over nbgrader's own commands, run from the course directory.

nbgrader reads ``nbgrader_config.py`` only from the working directory, so
every call here sets it. Autograding runs one student per nbgrader process:
a notebook that breaks nbgrader, or hangs past every timeout, costs that
student's run only, and the batch goes on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tfgrader.wire import one_line

# Beyond the notebook's own budget (BoundedExecute.notebook_timeout), this
# much more is allowed for nbgrader itself before the run is stopped.
NBGRADER_SLACK_S = 120


@dataclass
class Run:
    """How one nbgrader call went."""

    student: str
    ok: bool
    error: str = ""


def nbgrader(course: Path, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in ``course`` and return the completed process."""
    # nbgrader runs helpers (alembic) from PATH: put this Python's scripts first.
    scripts = str(Path(sys.executable).parent)
    env = dict(os.environ, PY_COLORS="0", TF_CPP_MIN_LOG_LEVEL="2",
               PATH=os.pathsep.join([scripts, os.environ.get("PATH", "")]))
    cmd = [sys.executable, "-m", "nbgrader", *args]
    return subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True, timeout=timeout)


def generate(course: Path, assignment: str) -> None:
    """``nbgrader generate_assignment --force``: source/ -> release/."""
    proc = nbgrader(course, "generate_assignment", assignment, "--force")
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{_tail(proc)}")


def students(course: Path, assignment: str) -> list[str]:
    """Students with a submission of ``assignment``, in name order."""
    root = course / "submitted"
    return sorted(p.parent.name for p in root.glob(f"*/{assignment}") if p.is_dir())


def autograde(course: Path, assignment: str, student: str, *options: str,
              budget_s: float = 900 + NBGRADER_SLACK_S) -> Run:
    """Autograde one student's submission; never raises for a bad submission."""
    args = ("autograde", assignment, "--student", student, "--force", *options)
    try:
        proc = nbgrader(course, *args, timeout=budget_s)
    except subprocess.TimeoutExpired:
        return Run(student, False, f"autograding was stopped after {budget_s:.0f} s")
    if proc.returncode != 0:
        return Run(student, False, _reason(proc))
    return Run(student, True)


def preflight(course: Path) -> bool:
    """Check, before a batch, that the sandbox the course asks for can run here.

    Returns:
        Whether the sandbox is on (``c.SandboxedExecute.sandbox`` in the
        course's ``nbgrader_config.py``, and ``TFGRADER_SANDBOX`` not ``off``).

    Raises:
        SandboxUnavailable: saying what to install.
    """
    from traitlets.config.loader import PyFileConfigLoader

    from tfgrader.instructor.nbgrader_ext import sandbox_wanted
    from tfgrader.instructor.sandbox import require_bwrap

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    wanted = sandbox_wanted(config.SandboxedExecute.get("sandbox", True))
    if wanted:
        require_bwrap()
    return wanted


def autograde_all(course: Path, assignment: str, *options: str, names: list[str] | None = None,
                  workers: int | None = None) -> list[Run]:
    """Autograde every submitted student (or ``names``), in that order.

    ``workers`` students are graded at once, each in its own nbgrader
    process (default: ``TFGRADER_WORKERS``, else 1). The gradebook is SQLite,
    whose short write transactions wait for one another.
    """
    preflight(course)
    todo = names or students(course, assignment)
    workers = workers or int(os.environ.get("TFGRADER_WORKERS", "1"))
    if workers <= 1:
        return [autograde(course, assignment, s, *options) for s in todo]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda student: autograde(course, assignment, student, *options), todo))


def feedback(course: Path, assignment: str, student: str) -> Path:
    """``nbgrader generate_feedback``; returns the student's feedback folder."""
    proc = nbgrader(course, "generate_feedback", assignment, "--student", student, "--force")
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader generate_feedback failed:\n{_tail(proc)}")
    return course / "feedback" / student / assignment


def _reason(proc: subprocess.CompletedProcess) -> str:
    """The most telling line of a failed nbgrader run."""
    lines = (proc.stderr + proc.stdout).splitlines()
    errors = [line for line in lines if "ERROR" in line or "Error" in line]
    return one_line((errors or lines or ["nbgrader failed without output"])[-1])


def _tail(proc: subprocess.CompletedProcess, n: int = 15) -> str:
    return "\n".join((proc.stderr + proc.stdout).splitlines()[-n:])

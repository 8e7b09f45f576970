"""A batch: every student's submission of an assignment autograded, on local
workers or on a Dask cluster, each in an nbgrader process of its own.

A notebook that breaks nbgrader, or hangs past every timeout, costs that
student's run only, and the batch goes on. A batch can be killed at any
moment and run again: :mod:`tfgrader.instructor.batch.stamps` says who is
graded already.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from traitlets.config import Config

from tfgrader.instructor.batch import stamps
from tfgrader.instructor.batch.runner import nbgrader, reason
from tfgrader.instructor.confine.limits import GraderLimits, NotebookLimits, configured
from tfgrader.instructor.confine.sandbox import require_bwrap, sandbox_wanted
from tfgrader.instructor.course import CourseLayout
from tfgrader.wire import one_line

# Beyond the notebook's own budget and the grader's, this much more is
# allowed for nbgrader itself before the run is stopped.
NBGRADER_SLACK_S = 120


@dataclass
class Run:
    """How one student's autograding went.

    Attributes:
        skipped: not graded again: nothing changed since the last grading.
        seconds: how long the nbgrader run took.
    """

    student: str
    ok: bool
    error: str = ""
    skipped: bool = False
    seconds: float = 0.0
    assignment: str = ""

    @property
    def who(self) -> str:
        """``assignment/student``, or the student alone where the assignment is not known."""
        return f"{self.assignment}/{self.student}" if self.assignment else self.student


def budget(course: Path) -> float:
    """Seconds one student's nbgrader run may take: the notebook's and the export's time limits, the
    grader's, and :data:`NBGRADER_SLACK_S` for nbgrader itself."""
    notebook, grader = configured_limits(course)
    return notebook.notebook_timeout + notebook.export_timeout + grader.grader_timeout + NBGRADER_SLACK_S


def configured_limits(course: Path) -> tuple[NotebookLimits, GraderLimits]:
    """The limits ``course``'s ``nbgrader_config.py`` sets (under the preprocessors' names)."""
    layout = CourseLayout(course)
    config = layout.nbgrader_config() if layout.config.is_file() else Config()
    return (configured(NotebookLimits, config, "SandboxedExecute"),
            configured(GraderLimits, config, "TrustedVerdict"))


def autograde(course: Path, assignment: str, student: str, *options: str,
              budget_s: float | None = None, workers: int = 1) -> Run:
    """Autograde one student's submission; never raises for a bad submission.

    The autograded folder is removed first, and stamped with the
    submission's fingerprint only when nbgrader has finished. ``workers``:
    how many gradings run at once beside this one, each sandbox getting an
    equal share of the cores.
    """
    stamp = stamps.fingerprint(course, assignment, student)
    budget_s = budget_s or budget(course)
    shutil.rmtree(CourseLayout(course).autograded(student, assignment), ignore_errors=True)
    args = ("autograde", assignment, "--student", student, "--force", *options)
    started = time.monotonic()
    try:
        proc = nbgrader(course, *args, timeout=budget_s, env={"TFGRADER_WORKERS": str(workers)})
    except subprocess.TimeoutExpired:
        return Run(student, False, f"autograding was stopped after {budget_s:.0f} s", seconds=budget_s,
                   assignment=assignment)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        return Run(student, False, reason(proc), seconds=seconds, assignment=assignment)
    stamps.write(course, assignment, student, {"fingerprint": stamp, "seconds": round(seconds, 1)})
    return Run(student, True, seconds=seconds, assignment=assignment)


def preflight(course: Path) -> bool:
    """Check, before a batch, that the sandbox the course asks for can run here.

    Returns:
        Whether the sandbox is on (``c.SandboxedExecute.sandbox`` in the
        course's ``nbgrader_config.py``, and ``TFGRADER_SANDBOX`` not ``off``).

    Raises:
        SandboxUnavailable: saying what to install.
    """
    wanted = sandbox_wanted(CourseLayout(course).nbgrader_config().SandboxedExecute.get("sandbox", True))
    if wanted:
        require_bwrap()
    return wanted


def autograde_all(course: Path, assignment: str, *options: str, names: list[str] | None = None,
                  workers: int | None = None, force: bool = False, scheduler: str | None = None,
                  on_done: Callable[[Run], None] | None = None) -> list[Run]:
    """Autograde every submitted student (or ``names``) that is not graded
    yet, or whose submission, grader or source changed since (all of them
    with ``force``). Returns a :class:`Run` per student, in that order.

    Locally, ``workers`` students are graded at once, each in its own
    nbgrader process (default: ``TFGRADER_WORKERS``, else 1). With
    ``scheduler`` (``tcp://HOST:8786``), each student is one task on that
    Dask cluster instead; see :func:`grade_student` for what its workers
    need. ``on_done`` is called with each Run as it finishes.
    """
    preflight(course)
    todo = names or CourseLayout(course).students(assignment)
    if scheduler:
        return _on_cluster(scheduler, course, assignment, todo, options, force, on_done)
    workers = workers or int(os.environ.get("TFGRADER_WORKERS", "1"))
    warning = memory_fit(course, assignment, workers)
    if warning:
        print(f"tfgrader: {warning}", file=sys.stderr)

    def grade(student: str) -> Run:
        run = grade_student(course, assignment, student, *options, force=force, workers=workers)
        if on_done:
            on_done(run)
        return run

    if workers <= 1:
        return [grade(s) for s in todo]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(grade, todo))


def grade_student(course: Path, assignment: str, student: str, *options: str, force: bool = False,
                  workers: int | None = None) -> Run:
    """Grade one student unless their grade is current: one task of a batch.

    On a Dask worker this runs with the course folder at the same path as on
    the machine that submitted the batch (a shared filesystem), bubblewrap
    installed, and the gradebook a database every worker reaches
    (PostgreSQL, via ``c.CourseDirectory.db_url``).
    """
    if not force and stamps.is_current(course, assignment, student):
        return Run(student, True, skipped=True, assignment=assignment)
    return autograde(course, assignment, student, *options, workers=workers or _dask_threads())


def _dask_threads() -> int:
    """The tasks a Dask worker runs at once (its threads), or 1 outside one."""
    try:
        from distributed import get_worker

        return get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):
        return 1


def memory_fit(course: Path, assignment: str, workers: int) -> str | None:
    """A warning when ``workers`` gradings at once, each at its memory limit, would not fit this machine."""
    import psutil

    layout = CourseLayout(course)
    if not layout.config.is_file():
        return None
    notebook, grading = configured_limits(course)
    module = layout.grader(assignment)
    kernel, grader = notebook.limits(module).memory_bytes, grading.limits(module).memory_bytes
    each = max(kernel, grader)
    need, have = workers * each, psutil.virtual_memory().total
    if need <= have:
        return None
    return (f"{workers} workers at {each / 2**30:g} GB each (the larger of "
            f"{assignment}'s notebook and grader memory limits) need {need / 2**30:g} GB; this machine has "
            f"{have / 2**30:.1f} GB. Use fewer workers (--workers {max(1, have // each)}), "
            "or a machine with more memory.")


def _on_cluster(scheduler: str, course: Path, assignment: str, todo: list[str], options: tuple[str, ...],
                force: bool, on_done: Callable[[Run], None] | None) -> list[Run]:
    """One task per student on the Dask cluster at ``scheduler``; a task that
    fails (a lost worker, say) costs that student only."""
    from distributed import Client, as_completed

    runs: dict[str, Run] = {}
    with Client(scheduler, timeout="30s") as client:
        futures = {client.submit(grade_student, course, assignment, student, *options, force=force,
                                 key=f"tfgrader-{assignment}-{student}-{time.time_ns()}", pure=False): student
                   for student in todo}
        for future in as_completed(futures):
            student = futures[future]
            try:
                run = future.result()
            except Exception as exc:  # noqa: BLE001 - the worker's failure, reported for this student
                run = Run(student, False, f"the grading worker failed: {one_line(exc)}", assignment=assignment)
            runs[student] = run
            if on_done:
                on_done(run)
    return [runs[s] for s in todo]



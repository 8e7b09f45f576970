"""Thin wrappers over nbgrader's own commands, run from the course directory.

nbgrader reads ``nbgrader_config.py`` only from the working directory, so
every call here sets it. Autograding runs one student per nbgrader process:
a notebook that breaks nbgrader, or hangs past every timeout, costs that
student's run only, and the batch goes on.

A batch can be killed at any moment and run again. Each student's grading
ends by writing a stamp (``autograded/<student>/<id>/.tfgrader/graded.json``)
with the fingerprint of what was graded: the submission's files, and the
assignment's grader, source notebook, the shared grading code and
``nbgrader_config.py``. The next batch skips a student whose stamp matches,
and throws away and regrades an autograded folder without one (a run that was
stopped half-way). nbgrader keeps one submission per student and assignment
in the gradebook, so a regrade replaces the old grades: nobody is counted twice.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import multiprocessing
import multiprocessing.connection
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tfgrader.course import grader_module
from tfgrader.instructor import public
from tfgrader.wire import EXPORT_DIRNAME, one_line

# Beyond the notebook's own budget (BoundedExecute.notebook_timeout), this
# much more is allowed for nbgrader itself before the run is stopped.
NBGRADER_SLACK_S = 120


STAMP = "graded.json"


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


def nbgrader(course: Path, *args: str, timeout: float | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in ``course`` and return the completed process.

    Each command runs in a process of its own, forked from a warm one (see
    :func:`_warm_run`) where the process may have children, else started anew.
    The nbgrader process is killed when the process that started it dies, so
    a batch that is killed leaves nothing grading behind it.
    """
    # nbgrader runs helpers (alembic) from PATH: put this Python's scripts first.
    scripts = str(Path(sys.executable).parent)
    env = dict(os.environ, PY_COLORS="0", TF_CPP_MIN_LOG_LEVEL="2",
               PATH=os.pathsep.join([scripts, os.environ.get("PATH", "")]), **(env or {}))
    if _can_fork():
        return _warm_run(course, list(args), env, timeout)
    cmd = [sys.executable, "-m", "nbgrader", *args]
    return subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=_die_with_parent)


# Importing nbgrader and this package takes about 3.5 s of CPU, more than half
# of grading a small notebook. The standard library's fork server imports them
# once, in a process of its own that starts no thread; each nbgrader command
# then runs in a fresh child forked from it, as separate from the batch and
# from other students as a process started anew.
_FORKS = multiprocessing.get_context("forkserver")
_FORKS.set_forkserver_preload(["nbgrader.apps.nbgraderapp", "tfgrader.instructor.nbgrader_ext",
                               "tfgrader.instructor.pipeline"])
# multiprocessing reads a child's exit status from a pipe, once, in
# Popen.poll, which is not thread-safe; and every Process.start() polls every
# child still listed. A batch's threads starting and joining children at once
# could each read half of it: the loser sees the pipe closed and reports 255,
# though the child exited 0 (CPython issues 130895 and 140867). Every start
# and every poll holds this lock; the long wait for a child's end does not.
_BOOKKEEPING = threading.Lock()


def _can_fork() -> bool:
    """May this process use the fork server? Not in a daemonic process (a Dask
    worker's), which may not have children."""
    return not multiprocessing.current_process().daemon


def _warm_run(course: Path, args: list[str], env: dict[str, str], timeout: float | None
              ) -> subprocess.CompletedProcess:
    """:func:`nbgrader` in a child of the fork server; its output is read back from files."""
    with tempfile.TemporaryDirectory(prefix="tfgrader-nbgrader-") as folder:
        out, err = Path(folder, "stdout"), Path(folder, "stderr")
        code = _forked(_nbgrader_main, (os.getpid(), str(course), args, env, str(out), str(err)), timeout,
                       name=f"nbgrader {' '.join(args[:3])}")
        if code is None:
            raise subprocess.TimeoutExpired(["nbgrader", *args], timeout)
        return subprocess.CompletedProcess(["nbgrader", *args], code, _read(out), _read(err))


def _forked(target: Callable[..., object], args: tuple, timeout: float | None, name: str | None = None) -> int | None:
    """Run ``target(*args)`` in a child of the fork server; its exit code
    (negative: the signal that ended it), or None when it ran past
    ``timeout`` and was killed. Safe to call from many threads at once."""
    child = _FORKS.Process(target=target, args=args, name=name)
    with _BOOKKEEPING:
        _start_without_main(child)
    if not multiprocessing.connection.wait([child.sentinel], timeout):
        with _BOOKKEEPING:
            if child.exitcode is None:  # (polled first: the PID of a child that has ended may be reused)
                child.kill()
            child.join()
        return None
    with _BOOKKEEPING:
        child.join()
    return child.exitcode


def _start_without_main(child: multiprocessing.process.BaseProcess) -> None:
    """Start ``child`` without the main module of this program. multiprocessing
    runs the main script (or ``-m`` module) again in every child, as
    ``__mp_main__``, unless its work is under ``if __name__ == "__main__":``.
    The children here run only this package's code, so a caller's script
    needs no such guard, nor to be a file (one read from standard input).
    Other threads see the bare ``__main__`` for as long as the start takes."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        child.start()
    finally:
        sys.modules["__main__"] = main


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _nbgrader_main(batch: int, course: str, args: list[str], env: dict[str, str], out: str, err: str) -> None:
    """In the forked child: what ``python -m nbgrader ARGS`` would do, in ``course``."""
    _die_with(batch)
    for path, fd in ((out, 1), (err, 2)):
        written = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(written, fd)
        os.close(written)
    os.chdir(course)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["nbgrader", *args]
    from nbgrader.apps.nbgraderapp import main

    main()


def generate(course: Path, assignment: str) -> None:
    """Write the public checks into source/ (see :mod:`tfgrader.instructor.public`), then
    ``nbgrader generate_assignment --force``: source/ -> release/."""
    public.write(course, assignment)
    proc = nbgrader(course, "generate_assignment", assignment, "--force")
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{_tail(proc)}")


def students(course: Path, assignment: str) -> list[str]:
    """Students with a submission of ``assignment``, in name order."""
    root = course / "submitted"
    return sorted(p.parent.name for p in root.glob(f"*/{assignment}") if p.is_dir())


def autograde(course: Path, assignment: str, student: str, *options: str,
              budget_s: float = 900 + NBGRADER_SLACK_S, workers: int = 1) -> Run:
    """Autograde one student's submission; never raises for a bad submission.

    The autograded folder is removed first, and stamped with the
    submission's fingerprint only when nbgrader has finished. ``workers``:
    how many gradings run at once beside this one, each sandbox getting an
    equal share of the cores.
    """
    stamp = fingerprint(course, assignment, student)
    folder = course / "autograded" / student / assignment
    shutil.rmtree(folder, ignore_errors=True)
    args = ("autograde", assignment, "--student", student, "--force", *options)
    started = time.monotonic()
    try:
        proc = nbgrader(course, *args, timeout=budget_s, env={"TFGRADER_WORKERS": str(workers)})
    except subprocess.TimeoutExpired:
        return Run(student, False, f"autograding was stopped after {budget_s:.0f} s", seconds=budget_s)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        return Run(student, False, _reason(proc), seconds=seconds)
    _write_stamp(folder, {"fingerprint": stamp, "seconds": round(seconds, 1)})
    return Run(student, True, seconds=seconds)


def fingerprint(course: Path, assignment: str, student: str) -> str:
    """The sha256 of everything a grade depends on: the student's submitted
    files, the assignment's grader and source folder, the shared grading code
    and the course's ``nbgrader_config.py``."""
    import tfgrader

    package = Path(tfgrader.__file__).parent
    digest = hashlib.sha256()
    for label, root in (("submission", course / "submitted" / student / assignment),
                        ("source", course / "source" / assignment),
                        ("grader", grader_module(course, assignment)),
                        ("config", course / "nbgrader_config.py"),
                        ("grading", package / "grading"),
                        ("student", package / "student"),
                        ("wire", package / "wire.py")):
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
    path = course / "autograded" / student / assignment / EXPORT_DIRNAME / STAMP
    try:
        recorded = json.loads(path.read_text())["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return recorded == fingerprint(course, assignment, student)


def _write_stamp(folder: Path, record: dict) -> None:
    """Write the stamp atomically: it is there whole, or not at all."""
    path = folder / EXPORT_DIRNAME / STAMP
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(record))
    os.replace(partial, path)


def _load_prctl() -> Callable[..., int] | None:
    # Looked up once, before any fork: the child then only makes the call.
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: a child outlives a killed batch
        return None


_PRCTL = _load_prctl()
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: be killed (SIGKILL) when the parent dies."""
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL)


def _die_with(pid: int) -> None:
    """Be killed when process ``pid`` (the batch) ends. A child of the fork
    server has the server, not the batch, as its parent (and keeps the server
    alive), so a thread waits on the batch's process file descriptor."""
    try:
        watched = os.pidfd_open(pid)
    except ProcessLookupError:
        os.kill(os.getpid(), signal.SIGKILL)
        return

    def wait() -> None:
        select.select([watched], [], [])
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=wait, name="die with the batch", daemon=True).start()


def course_config(course: Path):
    """The traitlets config of ``course``'s ``nbgrader_config.py``, as nbgrader loads it."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


def db_url(course: Path) -> str:
    """The gradebook's database URL: ``c.CourseDirectory.db_url`` of the
    course, else nbgrader's default, SQLite in ``gradebook.db``."""
    return course_config(course).CourseDirectory.get("db_url") or f"sqlite:///{course.resolve() / 'gradebook.db'}"


def preflight(course: Path) -> bool:
    """Check, before a batch, that the sandbox the course asks for can run here.

    Returns:
        Whether the sandbox is on (``c.SandboxedExecute.sandbox`` in the
        course's ``nbgrader_config.py``, and ``TFGRADER_SANDBOX`` not ``off``).

    Raises:
        SandboxUnavailable: saying what to install.
    """
    from tfgrader.instructor.nbgrader_ext import sandbox_wanted
    from tfgrader.instructor.sandbox import require_bwrap

    wanted = sandbox_wanted(course_config(course).SandboxedExecute.get("sandbox", True))
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
    todo = names or students(course, assignment)
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
    if not force and is_current(course, assignment, student):
        return Run(student, True, skipped=True)
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

    from tfgrader.course import grader_module
    from tfgrader.instructor.nbgrader_ext import SandboxedExecute, TrustedVerdict

    if not (course / "nbgrader_config.py").is_file():
        return None
    config = course_config(course)
    module = grader_module(course, assignment)
    kernel = SandboxedExecute(config=config).limits(module).memory_bytes
    grader = TrustedVerdict(config=config).limits(module).memory_bytes
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
                run = Run(student, False, f"the grading worker failed: {one_line(exc)}")
            runs[student] = run
            if on_done:
                on_done(run)
    return [runs[s] for s in todo]


def feedback(course: Path, assignment: str, student: str) -> Path:
    """``nbgrader generate_feedback``; returns the student's feedback folder."""
    proc = nbgrader(course, "generate_feedback", assignment, "--student", student, "--force")
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader generate_feedback failed:\n{_tail(proc)}")
    return course / "feedback" / student / assignment


def _reason(proc: subprocess.CompletedProcess) -> str:
    """The most telling line of a failed nbgrader run."""
    lines = (proc.stderr + proc.stdout).splitlines()
    raised = [line for line in lines if re.match(r"\s*[\w.]*(Error|Exception)\b.*:", line)]
    errors = [line for line in lines if "ERROR" in line and "see the the above traceback" not in line]
    return one_line((raised or errors or lines or ["nbgrader failed without output"])[-1])


def _tail(proc: subprocess.CompletedProcess, n: int = 15) -> str:
    return "\n".join((proc.stderr + proc.stdout).splitlines()[-n:])

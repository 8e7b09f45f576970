"""Running nbgrader's own commands, from the course directory, one process each.

nbgrader reads ``nbgrader_config.py`` only from the working directory, so
every call here sets it. Each command runs in a fresh child of the standard
library's fork server, which has imported nbgrader and tfgrader once, and
dies with the batch that started it.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.connection
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import types
from pathlib import Path
from typing import Callable

from tfgrader.instructor.course import CourseLayout
from tfgrader.wire import QUIET_ENV, one_line


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
    env = {**os.environ, **QUIET_ENV, "PATH": os.pathsep.join([scripts, os.environ.get("PATH", "")]), **(env or {})}
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
_FORKS.set_forkserver_preload(["nbgrader.apps.nbgraderapp", "tfgrader.instructor.preprocessors.config",
                               "tfgrader.instructor.batch.runner"])
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


def feedback(course: Path, assignment: str, student: str) -> Path:
    """``nbgrader generate_feedback``; returns the student's feedback folder."""
    proc = nbgrader(course, "generate_feedback", assignment, "--student", student, "--force")
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader generate_feedback failed:\n{tail(proc)}")
    return CourseLayout(course).feedback(student, assignment)


def reason(proc: subprocess.CompletedProcess) -> str:
    """The most telling line of a failed nbgrader run."""
    lines = (proc.stderr + proc.stdout).splitlines()
    raised = [line for line in lines if re.match(r"\s*[\w.]*(Error|Exception)\b.*:", line)]
    errors = [line for line in lines if "ERROR" in line and "see the the above traceback" not in line]
    return one_line((raised or errors or lines or ["nbgrader failed without output"])[-1])


def tail(proc: subprocess.CompletedProcess, n: int = 15) -> str:
    return "\n".join((proc.stderr + proc.stdout).splitlines()[-n:])

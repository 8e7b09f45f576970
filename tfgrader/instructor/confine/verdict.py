"""The trusted verdict: grade what a student's kernel exported, outside it.
Instructor side.

The kernel is dead by the time this runs. Its export folder is hostile input:
:func:`safe_copy` keeps only plain files with plain names and bounded sizes,
never following a link. The copy is graded by ``python -I -m
tfgrader.grading`` in a sandbox that sees only that copy, the grader module,
the datasets and the Python environment, with no network, and that writes
only its results file. Messages are then cleaned of any host path.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from tfgrader import wire
from tfgrader.instructor.confine import sandbox
from tfgrader.instructor.confine.limits import GraderLimits, Limits
from tfgrader.instructor.confine.watchdog import Started
from tfgrader.wire import Results
from tfgrader.wire.declarations import declared_checks
from tfgrader.wire.messages import BROKEN

MAX_FILE_BYTES = wire.MAX_FILE_BYTES
MAX_TOTAL_BYTES = 2 * 2**30
MAX_FILES = 200
TIMEOUT_S = GraderLimits.grader_timeout.default_value


def safe_copy(src: Path, dest: Path) -> list[str]:
    """Copy the plain files directly inside ``src`` into ``dest``.

    Links, folders, devices, odd names and oversized files are left behind,
    each with a line in the returned list (for the instructor's log). Files
    are opened without following links, so nothing outside ``src`` is read.
    """
    dest.mkdir(parents=True, exist_ok=True)
    skipped, total = [], 0
    try:
        names = sorted(os.listdir(src)) if not os.path.islink(src) and os.path.isdir(src) else []
    except OSError:
        names = []
    for name in names[:MAX_FILES]:
        path = os.path.join(src, name)
        info = os.lstat(path)
        if not wire.SAFE_NAME.match(name) or not stat.S_ISREG(info.st_mode):
            skipped.append(f"{name!r}: not a plain file")
        elif info.st_size > MAX_FILE_BYTES or total + info.st_size > MAX_TOTAL_BYTES:
            skipped.append(f"{name!r}: too large ({info.st_size} bytes)")
        else:
            total += _copy_nofollow(path, dest / name, MAX_FILE_BYTES)
    skipped += [f"{name!r}: over {MAX_FILES} files" for name in names[MAX_FILES:]]
    return skipped


def _copy_nofollow(src: str, dest: Path, limit: int) -> int:
    fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as source, open(dest, "wb") as target:
        copied = 0
        while chunk := source.read(1 << 20):
            copied += len(chunk)
            if copied > limit:  # grew since lstat
                break
            target.write(chunk)
    return copied


def grade(module: Path, export_dir: Path, *, sandboxed: bool = True, timeout_s: float = TIMEOUT_S,
          limits: Limits | None = None) -> Results:
    """Grade the export folder ``export_dir`` with the grader ``module``.

    Returns:
        One result per declared check whatever happened, with ``skipped``
        (files left behind) and ``sandboxed`` (whether the grading process was confined).
    """
    return Grading(module, sandboxed=sandboxed, limits=limits).grade(export_dir, timeout_s)


class Grading:
    """One confined grading process, started before there is anything to
    grade: it imports pytest and TensorFlow while the student's notebook still
    runs, then waits. :meth:`grade` copies the export into the folder it sees
    and tells it to go; :meth:`close` ends it unused."""

    def __init__(self, module: Path, *, sandboxed: bool = True, limits: Limits | None = None) -> None:
        self.module, self.sandboxed = module, sandboxed
        limits = limits or GraderLimits().limits(module)
        self._scratch = tempfile.TemporaryDirectory(prefix="tfgrader-grade-")
        self.inbox, self.outbox = Path(self._scratch.name) / "export", Path(self._scratch.name) / "results"
        self.inbox.mkdir()
        self.outbox.mkdir()
        self.confined: sandbox.Sandbox | None = None
        self.limits_by = "none (not sandboxed)"
        if sandboxed:
            # A copy of the grader, so that no path of the course shows inside (in /proc/self/mountinfo).
            grader = Path(self._scratch.name) / "grader"
            grader.mkdir()
            shutil.copyfile(module, grader / module.name)
            self.confined = sandbox.Sandbox(
                read_only={"/export": str(self.inbox), "/grader": str(grader), **sandbox.data_binding()},
                writable={"/results": str(self.outbox)}, env={**wire.QUIET_ENV, **sandbox.data_env()},
                chdir="/export", limits=limits)
            argv = wire.grading_command(sys.executable, f"/grader/{module.name}", "/export",
                                        f"/results/{wire.RESULTS}", wait=True)
            self._process = Started(self.confined, argv)
            self.limits_by = self.confined.enforced_by()
        else:
            argv = wire.grading_command(sys.executable, str(module), str(self.inbox),
                                        str(self.outbox / wire.RESULTS), wait=True)
            self._process = Started(None, argv, env=_plain_env(), cwd=self.inbox)

    def grade(self, export_dir: Path, timeout_s: float = TIMEOUT_S, keep: Path | None = None) -> Results:
        """Grade a copy of ``export_dir`` (see :func:`grade`), then end the
        process. With ``keep``, the copy the grader saw is kept there."""
        checks = declared_checks(self.module)
        try:
            skipped = safe_copy(export_dir, self.inbox)
            proc, stopped = self._process.finish(timeout_s, say="go\n")
            results = _interpret(proc, stopped, self.outbox / wire.RESULTS, checks)
            if keep is not None:
                shutil.copytree(self.inbox, keep)
        finally:
            self.close()
        results.skipped, results.sandboxed, results.grader_limits_by = skipped, self.sandboxed, self.limits_by
        module = self.module
        places = {str(module.resolve()): "the grader", f"/grader/{module.name}": "the grader",
                  module.name: "the grader", str(module.resolve().parent.parent): "<course>",
                  str(Path(export_dir).resolve()): "<export>"}
        results.checks = [replace(c, message=scrub(c.message, places)) for c in results.checks]
        return results

    def close(self) -> None:
        """End the process if it still runs, and remove its folders."""
        if self._process.proc.poll() is None:
            self._process.abandon()
        if self.confined is not None:
            self.confined.close()
        self._scratch.cleanup()


def _interpret(proc, stopped: str | None, results_file: Path, checks: dict) -> Results:
    if stopped:
        return Results.failing(checks, f"Grading was stopped: {stopped.replace('your notebook', 'it')}.")
    if proc.returncode != 0 or not results_file.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return Results.failing(checks, BROKEN.format(wire.one_line(tail[0], 200)))
    return Results.read(results_file, checks, BROKEN.format("no result for this check"))


def _plain_env() -> dict[str, str]:
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TFGRADER_DATA_DIR", "TFGRADER_NO_DOWNLOAD",
                                      "KERAS_HOME", "TMPDIR") if k in os.environ}
    return {**env, **wire.QUIET_ENV}


def scrub(message: str, places: dict[str, str]) -> str:
    """``message`` without host paths or the grader's name: ``places`` (path ->
    label), the Python environment and the home folder are named, not spelled out."""
    known = {sys.prefix: "<python>", sys.base_prefix: "<python>", str(Path.home()): "<home>", **places}
    for path, label in sorted(known.items(), key=lambda kv: -len(kv[0])):
        if len(path) > 1:
            message = message.replace(path, label)
    return message


def record(results: Results, folder: Path) -> None:
    """Keep the results beside the autograded notebook (after its kernel is gone)."""
    folder = Path(folder)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        folder.unlink()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    results.write(folder / wire.RESULTS)

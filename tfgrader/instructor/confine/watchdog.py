"""Watching a sandbox from outside: its memory summed over its processes,
their number and all it wrote to disk, checked a few times a second; and
:class:`Started`, a process started in a sandbox and watched until it ends.
Whatever limit is hit is named, in a student's words, in :attr:`Watchdog.reason`.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import threading
import time

from tfgrader.instructor.confine.limits import Limits
from tfgrader.instructor.confine.sandbox import Sandbox


class Watchdog(threading.Thread):
    """Watch a sandbox's process tree from outside; kill all of it when it
    uses more memory (its proportional set size, summed) or more processes
    than allowed, writes more than its disk limit into ``folders``, or when
    its control group (``sandbox.cgroup``) reports a kill or a refused fork.
    ``reason`` then names the limit."""

    DISK_EVERY = 3  # polls between two sums of what was written (a walk of the folders)

    def __init__(self, pid: int, limits: Limits, interval_s: float = 0.2, sandbox: Sandbox | None = None) -> None:
        super().__init__(daemon=True)
        self.pid, self.limits, self.interval_s, self.sandbox = pid, limits, interval_s, sandbox
        self.reason: str | None = None
        self.peak_rss = 0
        self._stopping = threading.Event()
        self._folders = list(sandbox.writable.values()) if sandbox is not None else []
        self._written_before = sum(map(disk_usage, self._folders))

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        for tick in itertools.count():
            if self._stopping.wait(self.interval_s):
                return
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            hit = self.sandbox.hit() if self.sandbox is not None else None
            if hit:
                return self._kill(tree, hit)
            if len(tree) > self.limits.processes + 3:  # + rlimit shim, bwrap and its init
                return self._kill(tree, "processes")
            rss = sum(_resident(p) for p in tree)
            self.peak_rss = max(self.peak_rss, rss)
            # The sum of shares (PSS) is never above the sum of RSS, and costs
            # a walk of every page table (about 12 ms for a process holding
            # TensorFlow and 1 GB, against 0.1 ms): it is summed only when the
            # RSS sum is over the limit.
            if rss > self.limits.memory_bytes and sum(_share(p) for p in tree) > self.limits.memory_bytes:
                return self._kill(tree, "memory")
            if self._folders and tick % self.DISK_EVERY == 0 and self.written() > self.limits.disk_bytes:
                return self._kill(tree, "disk")

    def written(self) -> int:
        """Bytes written into the sandbox's host folders since it started."""
        return sum(map(disk_usage, self._folders)) - self._written_before

    def _kill(self, tree, what: str) -> None:
        self.kill(self.limits.describe(what), tree)

    def kill(self, reason: str | None, tree=None) -> list:
        """Kill the whole sandbox; ``reason`` (if any) names the limit for the
        student. Returns the processes signalled."""
        import psutil

        if reason and not self.reason:
            self.reason = reason
        if tree is None:
            try:
                root = psutil.Process(self.pid)
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return []
        for process in tree:  # the sandbox's init goes early: its PID namespace dies with it
            try:
                process.kill()
            except psutil.Error:
                pass
        return tree

    def kill_all(self, timeout_s: float = 10) -> None:
        """Make sure nothing the sandbox started outlives it: kill all of it,
        and return once every process has ended (a signal is only sent, and a
        busy machine may run the process for a while before it dies)."""
        import psutil

        # Not psutil.wait_procs: it waits for a zombie to be reaped, and the
        # sandbox's root is reaped by its owner (the kernel manager) only later.
        deadline = time.monotonic() + timeout_s
        for process in self.kill(None):
            while time.monotonic() < deadline:
                try:
                    if not process.is_running() or process.status() == psutil.STATUS_ZOMBIE:
                        break
                except psutil.NoSuchProcess:
                    break
                time.sleep(0.01)

    def stop(self) -> None:
        self._stopping.set()


def _resident(process) -> int:
    """The memory the process has in RAM (RSS), pages shared with others included."""
    try:
        return process.memory_info().rss
    except Exception:  # noqa: BLE001 - exited meanwhile
        return 0


def _share(process) -> int:
    """The process's share of the memory it uses (PSS): pages it shares with
    others, such as a forked child's copy of its parent, count once in the
    sum over the tree, so a fork bomb is named for its processes."""
    try:
        return process.memory_full_info().pss
    except AttributeError:  # no PSS on this system
        return _resident(process)
    except Exception:  # noqa: BLE001 - exited meanwhile
        return 0


def disk_usage(folder: str) -> int:
    """The bytes the files under ``folder`` take on disk (links not followed; sparse files as stored)."""
    total = 0
    for parent, _, names in os.walk(folder):
        for name in names:
            try:
                total += os.lstat(os.path.join(parent, name)).st_blocks * 512
            except OSError:
                continue
    return total


def run(sandbox: Sandbox, argv: list[str], timeout_s: float) -> tuple[subprocess.CompletedProcess | None, str | None]:
    """Run ``argv`` in ``sandbox`` to completion, watched.

    Returns:
        (the completed process, or None when it was stopped; why it was stopped, or None).
    """
    try:
        return Started(sandbox, argv).finish(timeout_s)
    finally:
        sandbox.close()


class Started:
    """``argv`` started in ``sandbox`` and watched, its standard input open
    until :meth:`finish` (or :meth:`abandon`)."""

    def __init__(self, sandbox: Sandbox | None, argv: list[str], **popen: object) -> None:
        command = sandbox.command(argv) if sandbox is not None else argv
        self.sandbox = sandbox
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, start_new_session=True, **popen)
        self.watchdog = Watchdog(self.proc.pid, sandbox.limits, sandbox=sandbox) if sandbox is not None else None
        if self.watchdog is not None:
            self.watchdog.start()

    def finish(self, timeout_s: float, say: str | None = None) -> tuple[subprocess.CompletedProcess | None,
                                                                         str | None]:
        """Write ``say`` (if any) to its standard input, close it, and wait at most ``timeout_s``."""
        try:
            out, err = self.proc.communicate(input=say, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.abandon()
            return None, f"it ran longer than {timeout_s:g} s"
        except BrokenPipeError:  # it died before reading
            out, err = self.proc.communicate()
        finally:
            if self.watchdog is not None:
                self.watchdog.stop()
        if self.watchdog is not None and self.watchdog.reason:
            return None, self.watchdog.reason
        hit = self.sandbox.hit() if self.sandbox is not None else None
        if hit:
            return None, self.sandbox.limits.describe(hit)
        return subprocess.CompletedProcess(self.proc.args, self.proc.returncode, out, err), None

    def abandon(self) -> None:
        """Kill it and all it started."""
        if self.watchdog is not None:
            self.watchdog.stop()
        try:
            os.killpg(self.proc.pid, 9)
        except ProcessLookupError:
            pass
        self.proc.communicate()

"""Confinement for the two processes that touch a submission: the student's
kernel and the clean grading process. Instructor side: it builds the
bubblewrap command lines and watches the limits; nothing here runs inside.

Both run under `bubblewrap <https://github.com/containers/bubblewrap>`_ with
every namespace unshared (no network, own PIDs, own IPC), a read-only view of
the Python environment and the datasets, a private size-capped ``/tmp`` and
only the folders named here bound in. The limits that bubblewrap lacks are
set with ``setrlimit`` (file size, and processes where the kernel honours it
for this user) and watched from outside (:class:`Watchdog`: memory summed
over the sandbox's processes, and their number), so a limit that is hit is
named in the student's feedback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import tfgrader

INSTALL_HINT = ("Install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`; Fedora: `dnf install bubblewrap`), "
                "or grade without the sandbox only on purpose: `c.Sandbox.enabled = False` in nbgrader_config.py "
                "or TFGRADER_SANDBOX=off.")
# What any Python process needs of the host, read-only, where it exists.
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc/fonts", "/etc/ssl/certs",
                "/sys/devices/system/cpu")
_SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group",
                 "/etc/hosts", "/etc/mime.types")
DATA_INSIDE = "/datasets"


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


@dataclass(frozen=True)
class Limits:
    """What one sandboxed process tree may use."""

    memory_bytes: int = 4 * 2**30
    processes: int = 256
    file_bytes: int = 2**30
    tmp_bytes: int = 512 * 2**20

    def describe(self, what: str) -> str:
        """The limit ``what`` ("memory", "processes") in a student's words."""
        if what == "memory":
            return f"your notebook used more than {size_text(self.memory_bytes)} of memory"
        return f"your notebook started more than {self.processes} processes at once"


@dataclass
class Sandbox:
    """One bubblewrap sandbox: folders bound in, environment, working folder."""

    read_only: dict[str, str] = field(default_factory=dict)  # inside path -> host path
    writable: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    chdir: str = "/"
    limits: Limits = field(default_factory=Limits)

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` wrapped so that it runs inside this sandbox, with the rlimits set."""
        bwrap = [require_bwrap(), "--unshare-all", "--die-with-parent", "--clearenv",
                 "--proc", "/proc", "--dev", "/dev",
                 "--size", str(self.limits.tmp_bytes), "--tmpfs", "/tmp",
                 "--size", str(self.limits.tmp_bytes), "--tmpfs", "/home"]
        for path in _SYSTEM_DIRS:
            if os.path.isdir(path):
                bwrap += ["--ro-bind", path, path]
        for path in _SYSTEM_FILES:
            if os.path.isfile(path):
                bwrap += ["--ro-bind", path, path]
        for inside, host in python_paths().items():
            bwrap += ["--ro-bind", host, inside]
        for inside, host in self.read_only.items():
            bwrap += ["--ro-bind", host, inside]
        for inside, host in self.writable.items():
            bwrap += ["--bind", host, inside]
        env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": "/home/student",
               "LANG": "C.UTF-8", "TMPDIR": "/tmp", "MPLCONFIGDIR": "/tmp/matplotlib",
               # ipykernel polls its parent unless this is 1; in its own PID namespace the
               # parent looks gone, and bubblewrap ends the kernel when nbgrader ends anyway.
               "JPY_PARENT_PID": "1", **self.env}
        for key, value in env.items():
            bwrap += ["--setenv", key, value]
        # The sandbox's own root (a tmpfs holding the mount points) becomes read-only.
        bwrap += ["--remount-ro", "/", "--chdir", self.chdir, "--"]
        return [*rlimits_prefix(self.limits), *bwrap, *argv]


def python_paths() -> dict[str, str]:
    """The interpreter, its environment and this package, read-only at their own paths
    (an editable install keeps the package outside the environment)."""
    paths = {sys.prefix, sys.base_prefix, str(Path(tfgrader.__file__).resolve().parent)}
    real = {os.path.realpath(p) for p in paths}
    return {p: p for p in sorted(paths | real) if os.path.isdir(p)}


def data_binding() -> dict[str, str]:
    """The datasets folder (``TFGRADER_DATA_DIR``), read-only at :data:`DATA_INSIDE`."""
    folder = os.environ.get("TFGRADER_DATA_DIR")
    return {DATA_INSIDE: os.path.realpath(folder)} if folder and os.path.isdir(folder) else {}


def data_env() -> dict[str, str]:
    env = {"TFGRADER_DATA_DIR": DATA_INSIDE} if data_binding() else {}
    if os.environ.get("TFGRADER_NO_DOWNLOAD"):
        env["TFGRADER_NO_DOWNLOAD"] = os.environ["TFGRADER_NO_DOWNLOAD"]
    return env


_RLIMIT_CODE = ("import os,resource as r,sys;a=sys.argv;"
                "r.setrlimit(r.RLIMIT_FSIZE,(int(a[1]),)*2);"
                "os.getuid() and r.setrlimit(r.RLIMIT_NPROC,(int(a[2]),)*2);"
                "os.execvp(a[3],a[3:])")


def rlimits_prefix(limits: Limits) -> list[str]:
    """Set the file-size limit (and the process limit, which Linux does not
    apply to root) and exec the rest of the command line."""
    return [sys.executable, "-I", "-S", "-c", _RLIMIT_CODE, str(limits.file_bytes), str(limits.processes)]


_checked: dict[str, str] = {}


def require_bwrap() -> str:
    """The path of a working ``bwrap``.

    Raises:
        SandboxUnavailable: saying what to install when bubblewrap is missing or cannot run here.
    """
    if "bwrap" in _checked:
        return _checked["bwrap"]
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(f"The grading sandbox needs bubblewrap (`bwrap`), which is not installed. "
                                 f"{INSTALL_HINT}")
    probe = subprocess.run([path, "--unshare-all", "--ro-bind", "/", "/", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap cannot create a sandbox on this machine ({probe.stderr.strip()}). "
                                 "It needs unprivileged user namespaces, or root. " + INSTALL_HINT)
    _checked["bwrap"] = path
    return path


class Watchdog(threading.Thread):
    """Watch a sandbox's process tree from outside; kill all of it when it
    uses more memory (its proportional set size, summed) or more processes than allowed.
    ``reason`` then names the limit."""

    def __init__(self, pid: int, limits: Limits, interval_s: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.limits, self.interval_s = pid, limits, interval_s
        self.reason: str | None = None
        self.peak_rss = 0
        self._stopping = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stopping.wait(self.interval_s):
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
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


def size_text(n: int) -> str:
    return f"{n / 2**30:g} GB" if n >= 2**30 else f"{n / 2**20:g} MB"


def run(sandbox: Sandbox, argv: list[str], timeout_s: float) -> tuple[subprocess.CompletedProcess | None, str | None]:
    """Run ``argv`` in ``sandbox`` to completion, watched.

    Returns:
        (the completed process, or None when it was stopped; why it was stopped, or None).
    """
    return Started(sandbox, argv).finish(timeout_s)


class Started:
    """``argv`` started in ``sandbox`` and watched, its standard input open
    until :meth:`finish` (or :meth:`abandon`)."""

    def __init__(self, sandbox: Sandbox | None, argv: list[str], **popen: object) -> None:
        command = sandbox.command(argv) if sandbox is not None else argv
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, start_new_session=True, **popen)
        self.watchdog = Watchdog(self.proc.pid, sandbox.limits) if sandbox is not None else None
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

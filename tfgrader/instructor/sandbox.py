"""Confinement for the two processes that touch a submission: the student's
kernel and the clean grading process. Instructor side: it builds the
bubblewrap command lines and watches the limits; nothing here runs inside.

Both run under `bubblewrap <https://github.com/containers/bubblewrap>`_,
whoever starts them (root included), with:

- every namespace unshared (no network, own PIDs, own IPC, own users), as an
  unprivileged user with no capabilities, in a new session, unable to make
  namespaces of its own, under a seccomp filter
  (:mod:`tfgrader.instructor.seccomp`) that refuses mounting, ``ptrace`` and
  the other calls Docker refuses;
- an empty environment for bubblewrap itself (so ``/proc/1/environ`` holds
  nothing of the instructor's) and its options passed through a file
  descriptor (so ``/proc/1/cmdline`` names no host folder);
- a read-only view of the Python environment and the datasets, a private
  size-capped ``/tmp``, and only the folders named here bound in; a host
  folder under ``/tmp`` or ``/home`` shows no parent that could be written;
- limits: the kernel's own where a control group can be made
  (:mod:`tfgrader.instructor.cgroups`: memory, threads, CPU), and
  everywhere ``setrlimit`` (file size; processes for a user other than root)
  and the :class:`Watchdog`, which watches from outside (memory summed over
  the sandbox's processes, their number, and all it wrote to disk), so that
  a limit that is hit is named in the student's feedback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import itertools
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import tfgrader
from tfgrader.instructor import cgroups, seccomp

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
    disk_bytes: int = 2 * 2**30  # all it writes into the host folders bound in, together
    cpus: float = 0  # cores; 0: all this machine's cores (the caller divides them among its workers)
    tasks: int = 4096  # threads and processes: per sandbox in a control group; else all of a non-root grading user's

    def describe(self, what: str) -> str:
        """The limit ``what`` ("memory", "processes", "disk") in a student's words."""
        if what == "memory":
            return f"your notebook used more than {size_text(self.memory_bytes)} of memory"
        if what == "disk":
            return f"your notebook wrote more than {size_text(self.disk_bytes)} to disk"
        return f"your notebook started more than {self.processes} processes at once"

    def cores(self) -> float:
        return self.cpus or float(len(os.sched_getaffinity(0)))


def cpu_share(workers: int | None = None) -> float:
    """An equal share of this machine's cores for each of ``workers`` sandboxes running at once
    (default: the batch's, ``TFGRADER_WORKERS``, which the pipeline sets for each nbgrader command)."""
    workers = workers or int(os.environ.get("TFGRADER_WORKERS") or 1)
    return len(os.sched_getaffinity(0)) / max(1, workers)


INSIDE_UID = INSIDE_GID = 1000
HOME_INSIDE = "/home/student"
_WRITABLE_TMPFS = ("/tmp", "/home")


@dataclass
class Sandbox:
    """One bubblewrap sandbox: folders bound in, environment, working folder.

    Its control group (if one can be made here) is made by the first
    :meth:`command` and removed by :meth:`close`.
    """

    read_only: dict[str, str] = field(default_factory=dict)  # inside path -> host path
    writable: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    chdir: str = "/"
    limits: Limits = field(default_factory=Limits)
    cgroup: cgroups.Cgroup | None = field(default=None, init=False)
    _made: bool = field(default=False, init=False)

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` wrapped so that it runs inside this sandbox: a shim that joins
        the control group, sets the rlimits and starts bubblewrap with an empty environment."""
        bwrap = require_bwrap()
        if not self._made:
            self._made = True
            self.cgroup = cgroups.Cgroup.create(cgroups.Want(self.limits.memory_bytes, self.limits.tasks,
                                                             self.limits.cores()))
        shim = {"bwrap": bwrap, "options": self.options(), "seccomp": seccomp.compiled_path(),
                "fsize": self.limits.file_bytes, "nproc": self.limits.tasks,
                "cgroups": self.cgroup.procs_files() if self.cgroup else []}
        return [sys.executable, "-I", "-S", "-c", _SHIM, json.dumps(shim), *argv]

    def options(self) -> list[str]:
        """bubblewrap's options (all but ``--seccomp``, which the shim adds with the filter's descriptor)."""
        opts = ["--unshare-all", "--unshare-user", "--uid", str(INSIDE_UID), "--gid", str(INSIDE_GID),
                "--cap-drop", "ALL", *_DISABLE_USERNS, "--new-session", "--die-with-parent", "--clearenv",
                "--hostname", "sandbox", "--proc", "/proc", "--dev", "/dev",
                "--size", str(self.limits.tmp_bytes), "--tmpfs", "/tmp",
                "--size", str(self.limits.tmp_bytes), "--tmpfs", "/home"]
        for path in _SYSTEM_DIRS:
            if os.path.isdir(path):
                opts += ["--ro-bind", path, path]
        for path in _SYSTEM_FILES:
            if os.path.isfile(path):
                opts += ["--ro-bind", path, path]
        binds = [("--ro-bind", host, inside) for inside, host in {**python_paths(), **self.read_only}.items()]
        binds += [("--bind", host, inside) for inside, host in self.writable.items()]
        # A host folder under /tmp or /home (a checkout in /tmp, a home-made Python) sits on an
        # empty read-only tmpfs: none of its parents exists, and nothing can be made beside it.
        covers = sorted({_cover(inside) for _, _, inside in binds} - {None})
        for cover in covers:
            opts += ["--size", str(2**20), "--tmpfs", cover]
        for flag, host, inside in binds:
            opts += [flag, host, inside]
        for cover in covers:
            opts += ["--remount-ro", cover]
        env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": HOME_INSIDE, "USER": "student",
               "LANG": "C.UTF-8", "TMPDIR": "/tmp", "MPLCONFIGDIR": "/tmp/matplotlib",
               # ipykernel polls its parent unless this is 1; in its own PID namespace the
               # parent looks gone, and bubblewrap ends the kernel when nbgrader ends anyway.
               "JPY_PARENT_PID": "1", **self.env}
        for key, value in env.items():
            opts += ["--setenv", key, value]
        # The sandbox's own root (a tmpfs holding the mount points) becomes read-only.
        return [*opts, "--remount-ro", "/", "--chdir", self.chdir]

    def enforced_by(self) -> str:
        """Which mechanism holds each limit, for the grading log and the results."""
        if self.cgroup is None:
            return "watchdog (memory, processes, disk)"
        return f"{self.cgroup.kind} (memory, threads, CPU); watchdog (processes, disk)"

    def hit(self) -> str | None:
        """The limit the kernel enforced, if it did (see :meth:`cgroups.Cgroup.hit`)."""
        return self.cgroup.hit() if self.cgroup is not None else None

    def close(self) -> None:
        """Remove the control group (killing whatever is left in it)."""
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None


def _cover(inside: str) -> str | None:
    """The folder right under /tmp or /home that holds ``inside`` (deeper down), unless it is the student's home."""
    for root in _WRITABLE_TMPFS:
        parts = Path(inside).relative_to(root).parts if Path(inside).is_relative_to(root) else ()
        if len(parts) > 1 and not Path(inside).is_relative_to(HOME_INSIDE):
            return str(Path(root) / parts[0])
    return None


# Run by the trusted side's Python, outside the sandbox, before bubblewrap:
# join the control group, set the rlimits (RLIMIT_NPROC only for a user other
# than root, whom Linux exempts; it counts every thread of the grading user,
# other sandboxes' included, so it is the ceiling `tasks`, a backstop against
# a fork bomb, and the watchdog counts this sandbox's processes), hand bubblewrap its
# options through a memfd and the filter through a descriptor, and start it
# with an empty environment. bubblewrap closes both descriptors.
_SHIM = """import json,os,resource as r,sys
c=json.loads(sys.argv[1])
for f in c["cgroups"]:
    with open(f,"w") as g: g.write(str(os.getpid()))
r.setrlimit(r.RLIMIT_FSIZE,(c["fsize"],)*2)
os.getuid() and r.setrlimit(r.RLIMIT_NPROC,(c["nproc"],)*2)
s=os.open(c["seccomp"],os.O_RDONLY);os.set_inheritable(s,True)
a=os.memfd_create("bwrap-options",0)
os.write(a,b"".join(o.encode()+b"\\0" for o in c["options"]+["--seccomp",str(s)]));os.lseek(a,0,0)
os.execve(c["bwrap"],["bwrap","--args",str(a),"--",*sys.argv[2:]],{})
"""


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


_checked: dict[str, str] = {}
# --disable-userns (bubblewrap 0.8 and later), kept when the probe shows it works here.
_DISABLE_USERNS: list[str] = []


def require_bwrap() -> str:
    """The path of a working ``bwrap``, probed once with the options every sandbox uses.

    Raises:
        SandboxUnavailable: saying what to install when bubblewrap is missing or cannot run here.
    """
    if "bwrap" in _checked:
        return _checked["bwrap"]
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(f"The grading sandbox needs bubblewrap (`bwrap`), which is not installed. "
                                 f"{INSTALL_HINT}")
    try:
        seccomp.compiled_path()
    except seccomp.SeccompUnavailable as exc:
        raise SandboxUnavailable(f"{exc} {INSTALL_HINT}") from exc
    base = [path, "--unshare-all", "--unshare-user", "--uid", str(INSIDE_UID), "--gid", str(INSIDE_GID),
            "--cap-drop", "ALL", "--new-session", "--ro-bind", "/", "/"]
    probe = subprocess.run([*base[:1], "--disable-userns", *base[1:], "true"], capture_output=True, text=True)
    if probe.returncode == 0:
        _DISABLE_USERNS[:] = ["--disable-userns"]
    else:
        probe = subprocess.run([*base, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap cannot create a sandbox on this machine ({probe.stderr.strip()}). "
                                 "It needs unprivileged user namespaces, or root. " + INSTALL_HINT)
    _checked["bwrap"] = path
    return path


def nested_namespaces_blocked() -> bool:
    """Whether bubblewrap's ``--disable-userns`` is in use (else the seccomp filter alone refuses them)."""
    require_bwrap()
    return bool(_DISABLE_USERNS)


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


def size_text(n: int) -> str:
    return f"{n / 2**30:g} GB" if n >= 2**30 else f"{n / 2**20:g} MB"


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

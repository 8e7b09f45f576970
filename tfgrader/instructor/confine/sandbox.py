"""Confinement for the two processes that touch a submission: the student's
kernel and the clean grading process. Instructor side: it builds the
bubblewrap command lines and watches the limits; nothing here runs inside.

Both run under `bubblewrap <https://github.com/containers/bubblewrap>`_,
whoever starts them (root included), with:

- every namespace unshared (no network, own PIDs, own IPC, own users), as an
  unprivileged user with no capabilities, in a new session, unable to make
  namespaces of its own, under a seccomp filter
  (:mod:`tfgrader.instructor.confine.seccomp`) that refuses mounting, ``ptrace`` and
  the other calls Docker refuses;
- an empty environment for bubblewrap itself (so ``/proc/1/environ`` holds
  nothing of the instructor's) and its options passed through a file
  descriptor (so ``/proc/1/cmdline`` names no host folder);
- a read-only view of the Python environment and the datasets, a private
  size-capped ``/tmp``, and only the folders named here bound in; a host
  folder under ``/tmp`` or ``/home`` shows no parent that could be written;
- limits: the kernel's own where a control group can be made
  (:mod:`tfgrader.instructor.confine.cgroups`: memory, threads, CPU), and
  everywhere ``setrlimit`` (file size; processes for a user other than root)
  and the :class:`~tfgrader.instructor.confine.watchdog.Watchdog`, which watches from outside (memory summed over
  the sandbox's processes, their number, and all it wrote to disk), so that
  a limit that is hit is named in the student's feedback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import tfgrader
from tfgrader.instructor.confine import cgroups, seccomp
from tfgrader.instructor.confine.limits import Limits

INSTALL_HINT = ("Install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`; Fedora: `dnf install bubblewrap`), "
                "or grade without the sandbox only on purpose: `c.SandboxedExecute.sandbox = False` in nbgrader_config.py "
                "or TFGRADER_SANDBOX=off.")
# What any Python process needs of the host, read-only, where it exists.
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc/fonts", "/etc/ssl/certs",
                "/sys/devices/system/cpu")
_SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group",
                 "/etc/hosts", "/etc/mime.types")
DATA_INSIDE = "/datasets"


def sandbox_wanted(configured: bool) -> bool:
    """The sandbox is on unless the config or ``TFGRADER_SANDBOX=off`` turns it off."""
    return configured and os.environ.get("TFGRADER_SANDBOX", "on").lower() not in ("off", "0", "false", "no")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


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

"""Kernel-enforced limits for one sandbox: a control group of its own.
Instructor side.

Where this process may make control groups (as root, or as a user with a
delegated cgroup v2 subtree, such as the scope ``systemd-run --user --scope``
makes), each sandbox gets one, under this process's own group, with:

- ``memory``: the memory limit, swap included (``memory.max`` and
  ``memory.swap.max`` = 0 on cgroup v2; ``memory.limit_in_bytes`` and
  ``memory.memsw.limit_in_bytes`` on v1). The kernel ends the sandbox when it
  is passed (``memory.oom.group`` on v2), and the kill is counted, so the
  feedback names the limit.
- ``pids``: a ceiling on threads and processes together (a fork bomb stops
  at it). The limit a student reads about counts processes, which the
  watchdog keeps: TensorFlow starts a thread per core.
- ``cpu``: at most ``cpus`` cores (``cpu.max``; ``cpu.cfs_quota_us`` on v1).

Where none can be made, :func:`create` returns None and the watchdog in
:mod:`tfgrader.instructor.confine.sandbox` enforces memory and processes alone.
Hybrid hosts (cgroup v1 controllers, an empty v2 tree) use v1.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CONTROLLERS = ("memory", "pids", "cpu")
PERIOD_US = 100_000
_counter = itertools.count()


@dataclass(frozen=True)
class Want:
    """What one sandbox's group is limited to."""

    memory_bytes: int
    tasks: int
    cpus: float


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """(mount point, root inside the hierarchy, filesystem type, options) of every cgroup mount."""
    found = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
            found.append((fields[4], fields[3], tail[0], set(tail[2].split(","))))
    return found


def _own_groups() -> dict[str, str]:
    """controller (or "" for the v2 tree) -> this process's group path."""
    groups = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        for name in names.split(",") if names else [""]:
            groups[name] = path
    return groups


def _inside(mount: str, root: str, path: str) -> Path:
    relative = os.path.relpath(path, root) if path.startswith(root) else path.lstrip("/")
    return Path(mount) / ("" if relative == "." else relative)


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _v2_parent() -> Path | None:
    """This process's v2 group, with memory, pids and cpu enabled for its children, or None."""
    own = _own_groups()
    if "" not in own:
        return None
    for mount, root, kind, _ in _mounts():
        if kind != "cgroup2":
            continue
        group = _inside(mount, root, own[""])
        try:
            if not set(CONTROLLERS) <= set((group / "cgroup.controllers").read_text().split()):
                return None
            enabled = set((group / "cgroup.subtree_control").read_text().split())
            if set(CONTROLLERS) <= enabled:
                return group
            try:
                _write(group / "cgroup.subtree_control", " ".join(f"+{c}" for c in CONTROLLERS))
            except OSError:
                # A group with processes of its own cannot hand controllers to children (a
                # delegated scope holds the batch, its fork server and this process): move them
                # all into a leaf first, then enable the controllers.
                leaf = group / "tfgrader-supervisor"
                leaf.mkdir(exist_ok=True)
                for _ in range(5):
                    for pid in (group / "cgroup.procs").read_text().split():
                        try:
                            _write(leaf / "cgroup.procs", pid)
                        except OSError:  # ended meanwhile
                            continue
                    try:
                        _write(group / "cgroup.subtree_control", " ".join(f"+{c}" for c in CONTROLLERS))
                        break
                    except OSError:
                        continue
                else:
                    return None
            return group
        except OSError:
            return None
    return None


def _v1_parents() -> dict[str, Path] | None:
    """controller -> this process's v1 group for it, where all three are writable, else None."""
    own, parents = _own_groups(), {}
    for mount, root, kind, options in _mounts():
        for controller in CONTROLLERS:
            if kind == "cgroup" and controller in options and controller in own:
                parents[controller] = _inside(mount, root, own[controller])
    if set(parents) != set(CONTROLLERS) or not all(os.access(p, os.W_OK) for p in parents.values()):
        return None
    return parents


_probed: dict[str, object] = {}


def available() -> str:
    """``"cgroup v2"``, ``"cgroup v1"``, or ``""`` where no group can be made here."""
    if "kind" not in _probed:
        kind = ""
        if os.environ.get("TFGRADER_CGROUPS", "on").lower() not in ("off", "0", "no", "false"):
            try:
                if _v2_parent() is not None:
                    kind = "cgroup v2"
                elif _v1_parents() is not None:
                    kind = "cgroup v1"
            except Exception:  # noqa: BLE001 - any surprise here means: no control groups, the watchdog alone
                kind = ""
        _probed["kind"] = kind
    return _probed["kind"]


def _made(pid: int | str = "*") -> list[Path]:
    kind = available()
    parents = [_v2_parent()] if kind == "cgroup v2" else list((_v1_parents() or {}).values()) if kind else []
    return sorted(path for parent in parents if parent for path in parent.glob(f"tfgrader-{pid}-*"))


def ours() -> list[Path]:
    """The groups this process made that still exist (none, once every sandbox is closed)."""
    return _made(os.getpid())


def left_behind() -> list[Path]:
    """Groups whose maker has ended: a grading process killed before it could remove them."""
    return [path for path in _made() if not Path("/proc", path.name.split("-")[1]).exists()]


def sweep() -> None:
    """Remove the groups left behind (see :func:`left_behind`), killing what still runs in them."""
    for path in left_behind():
        Cgroup("", {"": path}).remove(timeout_s=1)


class Cgroup:
    """One sandbox's control group (v2: one folder; v1: one per controller)."""

    def __init__(self, kind: str, folders: dict[str, Path]) -> None:
        self.kind, self.folders = kind, folders

    @classmethod
    def create(cls, want: Want) -> Cgroup | None:
        """A new group limited to ``want``, or None where none can be made (see :func:`available`)."""
        kind = available()
        if not kind:
            return None
        if not _probed.get("swept"):
            _probed["swept"] = True
            sweep()
        name = f"tfgrader-{os.getpid()}-{next(_counter)}"
        try:
            if kind == "cgroup v2":
                folder = _v2_parent() / name
                folder.mkdir()
                group = cls(kind, {c: folder for c in CONTROLLERS})
                _write(folder / "memory.max", str(want.memory_bytes))
                _write(folder / "memory.swap.max", "0") if (folder / "memory.swap.max").exists() else None
                _write(folder / "memory.oom.group", "1")
                _write(folder / "pids.max", str(want.tasks))
                _write(folder / "cpu.max", f"{max(1000, int(want.cpus * PERIOD_US))} {PERIOD_US}")
            else:
                group = cls(kind, {c: parent / name for c, parent in _v1_parents().items()})
                for folder in group.folders.values():
                    folder.mkdir()
                memory = group.folders["memory"]
                _write(memory / "memory.limit_in_bytes", str(want.memory_bytes))
                if (memory / "memory.memsw.limit_in_bytes").exists():
                    _write(memory / "memory.memsw.limit_in_bytes", str(want.memory_bytes))
                _write(group.folders["pids"] / "pids.max", str(want.tasks))
                _write(group.folders["cpu"] / "cpu.cfs_period_us", str(PERIOD_US))
                _write(group.folders["cpu"] / "cpu.cfs_quota_us", str(max(1000, int(want.cpus * PERIOD_US))))
        except Exception:  # noqa: BLE001 - a host that refuses (or a layout this misreads): the watchdog holds the limits
            if "group" in locals():
                group.remove(timeout_s=1)
            return None
        return group

    def procs_files(self) -> list[str]:
        """The files a process writes its PID to, to join the group."""
        return sorted({str(folder / "cgroup.procs") for folder in self.folders.values()})

    def cpu_max(self) -> str:
        """The CPU limit as written (``"QUOTA PERIOD"``, in microseconds)."""
        folder = self.folders["cpu"]
        if self.kind == "cgroup v2":
            return (folder / "cpu.max").read_text().strip()
        return f"{(folder / 'cpu.cfs_quota_us').read_text().strip()} {(folder / 'cpu.cfs_period_us').read_text().strip()}"

    def hit(self) -> str | None:
        """``"memory"`` when the kernel killed for memory, ``"processes"`` when a fork was refused, else None."""
        memory = self.folders["memory"]
        try:
            if self.kind == "cgroup v2":
                oom = _counts(memory / "memory.events").get("oom_kill", 0)
            else:
                oom = _counts(memory / "memory.oom_control").get("oom_kill", 0)
            if oom:
                return "memory"
            if _counts(self.folders["pids"] / "pids.events").get("max", 0):
                return "processes"
        except OSError:
            return None
        return None

    def pids(self) -> list[int]:
        found = set()
        for path in self.procs_files():
            try:
                found |= {int(p) for p in Path(path).read_text().split()}
            except OSError:
                continue
        return sorted(found)

    def remove(self, timeout_s: float = 10) -> None:
        """Kill whatever is still in the group, then remove it."""
        deadline = time.monotonic() + timeout_s
        for folder in set(self.folders.values()):
            while folder.exists():
                kill = folder / "cgroup.kill"
                try:
                    if kill.exists():
                        _write(kill, "1")
                    else:
                        for pid in self.pids():
                            os.kill(pid, signal.SIGKILL)
                    folder.rmdir()
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.02)


def _counts(path: Path) -> dict[str, int]:
    counts = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            counts[key] = int(value)
    return counts

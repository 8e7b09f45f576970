"""The sandbox's watchdog, on plain processes: it counts memory as the tree
really uses it, and stops a tree that uses too much."""

import subprocess
import sys
import time

from tfgrader.instructor.confine import limits, sandbox, watchdog

# 200 MB, every page written, then three forked copies that write nothing:
# RSS counts the pages four times, their shares (PSS) once.
SHARED = """
import os, time
held = bytearray(200 * 2**20)
held[::4096] = b"x" * len(held[::4096])
for _ in range(3):
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
print("ready", flush=True)
time.sleep(60)
"""
HOG = """
import time
held = bytearray(600 * 2**20)
held[::4096] = b"x" * len(held[::4096])
print("ready", flush=True)
time.sleep(60)
"""


def watched(code: str, memory_mb: int) -> tuple[watchdog.Watchdog, subprocess.Popen]:
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stdout.readline().strip() == "ready"
    dog = watchdog.Watchdog(proc.pid, limits.Limits(memory_bytes=memory_mb * 2**20, processes=10), interval_s=0.05)
    dog.start()
    return dog, proc


def test_pages_shared_by_forked_copies_count_once():
    dog, proc = watched(SHARED, memory_mb=500)
    try:
        time.sleep(1.0)
        assert dog.peak_rss > 500 * 2**20  # four copies' RSS: over the limit
        assert dog.reason is None and proc.poll() is None  # their shares: under it
    finally:
        dog.stop()
        dog.kill_all()
        proc.wait()


def test_memory_over_the_limit_stops_the_tree_and_names_the_limit():
    dog, proc = watched(HOG, memory_mb=300)
    try:
        assert proc.wait(timeout=10) != 0
        dog.join(timeout=5)
        assert dog.reason == "your notebook used more than 300 MB of memory"
    finally:
        dog.stop()
        proc.kill()


def test_kill_all_returns_when_every_process_of_the_tree_has_ended():
    """When kill_all returns, has every process of the tree ended (its own child included, a zombie
    at most), not merely been sent the signal?"""
    import psutil

    dog, proc = watched(SHARED, memory_mb=1000)
    tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    assert len(tree) == 4
    dog.stop()
    dog.kill_all()
    running = [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    proc.wait()
    assert running == []


# ---- the walls, whoever starts the sandbox: plain processes in real bubblewrap ---------------

import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tfgrader.instructor.confine import cgroups  # noqa: E402

REMOUNT = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
wall = sys.argv[1]
got = libc.mount(None, wall.encode(), None, 32 | 4096, None)  # MS_REMOUNT | MS_BIND, writable again
try:
    open(os.path.join(wall, "planted"), "x").close()
    print("written", got, ctypes.get_errno())
except OSError as e:
    print("refused", got, ctypes.get_errno(), e.errno)
"""


def inside(sb: sandbox.Sandbox, code: str, *args: str, **popen) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(sb.command([sys.executable, "-c", code, *args]), capture_output=True, text=True,
                              timeout=60, **popen)
    finally:
        sb.close()


@pytest.fixture
def wall(tmp_path):
    folder = tmp_path / "wall"
    folder.mkdir()
    return folder


def test_a_remounted_read_only_binding_stays_read_only(wall):
    """Does mount(MS_REMOUNT|MS_BIND) inside leave a read-only binding read-only, as root too? (As root, the same
    attack against bubblewrap as it was started before, with every capability kept, does write.)"""
    proc = inside(sandbox.Sandbox(read_only={"/wall": str(wall)}), REMOUNT, "/wall")
    assert proc.stdout.split()[:3] == ["refused", "-1", "1"], proc.stderr  # EPERM from the seccomp filter
    assert not (wall / "planted").exists()
    if os.getuid() == 0:  # the attack works where the walls are only read-only bindings
        bare = [shutil.which("bwrap"), "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc",
                "--dev", "/dev", "--ro-bind", str(wall), str(wall), sys.executable, "-c", REMOUNT, str(wall)]
        assert subprocess.run(bare, capture_output=True, text=True).stdout.startswith("written")
        assert (wall / "planted").exists()


def test_no_capability_no_root_and_no_nested_namespace():
    """Is the sandboxed process an unprivileged user with no capabilities, in a session of its own, unable to make
    a user namespace?"""
    code = ("import os, subprocess\nstatus = dict(l.split(':\\t', 1) for l in open('/proc/self/status').read().splitlines()"
            " if ':\\t' in l)\nprint(status['CapEff'].strip(), status['CapBnd'].strip(), os.getuid(), os.getgid(),"
            " os.getsid(0) == os.getpid() or os.getsid(0) != os.getpgid(1))\n"
            "print(subprocess.run(['unshare', '--user', 'true'], capture_output=True).returncode)")
    out = inside(sandbox.Sandbox(), code).stdout.splitlines()
    cap_eff, cap_bnd, uid, gid, _ = out[0].split()
    assert (cap_eff, cap_bnd, uid, gid) == ("0000000000000000", "0000000000000000", "1000", "1000")
    assert out[1] != "0"


def test_bubblewrap_carries_nothing_of_the_instructor(monkeypatch, wall):
    """With a secret in the grading command's environment and a bound folder with a telling name, does any process
    inside show the secret in its environment or command line, or the folder's host path on a command line?"""
    monkeypatch.setenv("PGPASSWORD", "hunter2-secret")
    # (the words travel in hex: the code itself is on a command line inside)
    code = ("import glob, sys\nwords = [bytes.fromhex(w) for w in sys.argv[1:]]\nfound = []\n"
            "for path in glob.glob('/proc/*/environ') + glob.glob('/proc/*/cmdline'):\n"
            "    data = open(path, 'rb').read()\n    found += [path for w in words if w in data]\nprint(found)")
    proc = inside(sandbox.Sandbox(read_only={"/data": str(wall)}), code, b"hunter2".hex(), str(wall).encode().hex())
    assert proc.stdout.strip() == "[]", proc.stderr


def test_terminal_injection_is_refused():
    """With a terminal as its standard input, can the sandbox type into it (TIOCSTI)?"""
    primary, secondary = os.openpty()
    code = ("import fcntl, termios\ntry:\n    fcntl.ioctl(0, termios.TIOCSTI, b'x')\n    print('typed')\n"
            "except OSError as e:\n    print('refused', e.errno)")
    try:
        proc = inside(sandbox.Sandbox(), code, stdin=secondary)
    finally:
        os.close(primary)
        os.close(secondary)
    assert proc.stdout.strip() == "refused 1", proc.stderr


def test_a_host_folder_under_tmp_shows_no_writable_parent():
    """A Python environment (a checkout) under /tmp is bound at its own path: do its parents stay unwritable and
    its siblings absent, while the sandbox's own /tmp is writable?"""
    top = Path(tempfile.mkdtemp(prefix="tfgrader-checkout-"))
    try:
        (top / "checkout" / ".venv").mkdir(parents=True)
        (top / "checkout" / "source").mkdir()
        code = ("import os, sys\ntop = sys.argv[1]\nprint(os.path.exists(top + '/checkout/source'))\n"
                "for path in (top + '/checkout/source', top + '/planted', '/tmp/mine'):\n"
                "    try:\n        open(path, 'x').close(); print('written')\n"
                "    except OSError:\n        print('refused')")
        sb = sandbox.Sandbox(read_only={str(top / "checkout" / ".venv"): str(top / "checkout" / ".venv")})
        assert inside(sb, code, str(top)).stdout.split() == ["False", "refused", "refused", "written"]
        assert sorted(p.name for p in top.iterdir()) == ["checkout"]
    finally:
        shutil.rmtree(top)


def test_cpu_and_memory_are_set_in_a_control_group_where_one_can_be_made():
    """Where this process may make control groups, does each sandbox run in its own, with cpu.max at its share of
    the cores and the memory limit set, and is the group gone when the sandbox is closed? Elsewhere, does the
    sandbox say that the watchdog holds the limits?"""
    sb = sandbox.Sandbox(limits=limits.Limits(memory_bytes=300 * 2**20, cpus=0.5))
    command = sb.command([sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(30)"])
    if not cgroups.available():
        assert sb.cgroup is None and sb.enforced_by().startswith("watchdog")
        return
    assert sb.cgroup.cpu_max() == "50000 100000"
    assert sb.enforced_by().startswith(cgroups.available())
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "ready\n"
        assert proc.pid in sb.cgroup.pids() and len(sb.cgroup.pids()) >= 3  # bubblewrap, its init, python
    finally:
        folders = list(sb.cgroup.folders.values())
        sb.close()
        proc.wait(timeout=10)
    assert not any(folder.exists() for folder in folders)


def test_memory_over_the_limit_in_a_sandbox_is_named():
    """Does a sandboxed process that passes its memory limit end with the limit named, whichever (the kernel's
    control group or the watchdog) stopped it?"""
    hog = "held = bytearray(700 * 2**20)\nheld[::4096] = b'x' * len(held[::4096])\nimport time; time.sleep(30)"
    sb = sandbox.Sandbox(limits=limits.Limits(memory_bytes=300 * 2**20))
    proc, reason = watchdog.run(sb, [sys.executable, "-c", hog], timeout_s=60)
    assert proc is None and reason == "your notebook used more than 300 MB of memory"


def test_groups_left_by_a_killed_grading_are_swept():
    """A grading process killed before it removed its sandbox's control group leaves the group behind: is it
    found, and removed by the next sweep?"""
    if not cgroups.available():
        assert cgroups.left_behind() == []
        return
    maker = subprocess.run([sys.executable, "-c", "from tfgrader.instructor.confine import cgroups\n"
                            "g = cgroups.Cgroup.create(cgroups.Want(2**30, 100, 1))\nprint(g.folders['pids'])"],
                           capture_output=True, text=True, check=True)
    folder = Path(maker.stdout.strip())
    assert folder.exists() and folder in cgroups.left_behind()
    cgroups.sweep()
    assert not folder.exists() and cgroups.left_behind() == []


def test_without_libseccomp_the_sandbox_says_what_to_install(monkeypatch):
    """Where libseccomp cannot be loaded, does the sandbox refuse to start, saying what to install?"""
    from tfgrader.instructor.confine import seccomp

    def missing(out):
        raise seccomp.SeccompUnavailable(seccomp.INSTALL_HINT + " (libseccomp.so.2: cannot open shared object file)")

    monkeypatch.setattr(seccomp, "build", missing)
    monkeypatch.setattr(seccomp, "_compiled", {})
    monkeypatch.setattr(sandbox, "_checked", {})
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install libseccomp2"):
        sandbox.require_bwrap()

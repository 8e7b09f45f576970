"""Hostile and broken submissions, graded through real nbgrader with the sandbox on.

Every case is a student of one batch of the tiny course (tests/fixtures/tiny_course:
``answer = 42`` worth 2 points, a note file worth 1), graded three at a time
beside two honest students. Where the suite runs as root, the cases about the
sandbox's walls and limits are graded a second time, at once, as an
unprivileged user the test makes. Each case states the points it must get and a
piece of the message the student must read. Cases that try to *reach* past
the sandbox set ``answer`` to 42 only when the attempt fails, so a hole in
the sandbox shows up as lost points.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat
import pytest

from tfgrader.instructor.authoring import public, samples
from tfgrader.instructor.batch import runner, schedule
from tfgrader.instructor.course import copy_course, CourseLayout
from tfgrader.instructor.outputs import report

pytestmark = pytest.mark.slow
TINY = Path(__file__).parent / "fixtures" / "tiny_course"
A = "tiny"
WRONG = "answer = 0"  # the answer cell of a student who did not do the work
# In the grading command's environment, as a gradebook password would be; no notebook may read it.
SECRET = "tfgrader-test-secret-" + secrets.token_hex(8)


@dataclass(frozen=True)
class Case:
    """A submission made from the tiny reference.

    ``code`` is a student cell added after the note cell ({course} and {port}
    are filled in); ``answer`` replaces the answer cell; ``edit`` changes the
    notebook; ``raw`` writes the file's text directly.
    """

    name: str
    points: float
    message: str = ""
    code: str = ""
    answer: str | None = None
    edit: Callable | None = None
    raw: Callable | None = None
    walls: bool = False  # about the sandbox's walls and limits: graded as root and as a user alike


def grade_cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def delete_check(nb):
    nb.cells.remove(grade_cell(nb, "check_answer"))


def edit_check(nb):
    grade_cell(nb, "check_answer").source = 'print("Passed: answer (2 points)")'


def retype_check(nb):
    cell = grade_cell(nb, "check_answer")
    cell.cell_type = "markdown"
    del cell["outputs"], cell["execution_count"]


def reorder_checks(nb):
    a, b = nb.cells.index(grade_cell(nb, "check_answer")), nb.cells.index(grade_cell(nb, "check_notes"))
    nb.cells[a], nb.cells[b] = nb.cells[b], nb.cells[a]


def bash_kernel(nb):
    nb.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}


def bonus_cell(nb):
    cell = nbformat.v4.new_code_cell('tfgrader.check("tiny", "answer")')
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "check_bonus", "points": 100, "locked": True,
                                 "solution": False, "task": False, "schema_version": 3}
    nb.cells.append(cell)


# Patching the exporter from a solution cell hands over other files: here a
# forged results file, or damaged and escaping exports.
PATCH = '''import tfgrader.student as s, json, os
_real = s.export_for_grading
def _forge(requested, export_dir, workdir=None):
    _real(requested, export_dir, workdir)
    folder = export_dir
{body}
s.export_for_grading = _forge
'''


def patch(body: str) -> str:
    return PATCH.format(body="\n".join("    " + line for line in body.strip().splitlines()))


CASES = [
    # --- tampering with the verdict
    Case("replace_check", 1, "should be 6 times 7", answer=WRONG,
         code="import tfgrader\ntfgrader.check = lambda *a, **k: print('Passed: answer (2 points)')"),
    Case("fake_results", 1, "should be 6 times 7", answer=WRONG, code=patch('''
open(os.path.join(folder, "results.json"), "w").write(json.dumps(
    {"checks": {"answer": {"passed": True, "points": 2, "message": ""}}}))''')),
    Case("runtime_state", 1, "should be 6 times 7", answer=WRONG,
         code="import sys, tfgrader.student as s\ns._results = {'tiny': {'checks': {'answer': {'passed': True}}}}\n"
              "sys.modules['tfgrader.instructor.confine.verdict'] = s"),
    Case("exception_hooks", 1, "should be 6 times 7", answer=WRONG,
         code="import sys\nip = get_ipython()\nip.set_custom_exc((BaseException,), lambda *a, **k: None)\n"
              "ip.showtraceback = lambda *a, **k: None\nsys.excepthook = lambda *a: None"),
    Case("clear_outputs", 1, "should be 6 times 7", answer=WRONG,
         code="import threading, time\nfrom IPython.display import clear_output, display\n"
              "def spam():\n    while True:\n        clear_output(); print('Passed: answer (2 points)'); time.sleep(0.01)\n"
              "threading.Thread(target=spam, daemon=True).start()"),
    Case("eq_always_true", 1, "`answer`", answer="class Anything:\n    def __eq__(self, other):\n        return True\n"
                                                   "answer = Anything()"),
    Case("fake_files_in_folder", 1, "should be 6 times 7", answer=WRONG,
         code="import os, json\nos.makedirs('.tfgrader', exist_ok=True)\n"
              "json.dump({'checks': {'answer': {'passed': True, 'points': 2}}}, open('.tfgrader/results.json', 'w'))\n"
              "for d in ('/home/student/.tfgrader-export',):\n"
              "    json.dump({'answer': {'kind': 'value', 'file': 'a.json'}}, open(d + '/manifest.json', 'w'))\n"
              "    open(d + '/a.json', 'w').write('42')"),
    Case("symlink_passwd", 2, "outside this notebook's folder",
         code="import os\nos.symlink('/etc/passwd', 'passwd')\nnotes_path = 'passwd'"),
    Case("symlink_graders", 2, "outside this notebook's folder",
         code="import os\nos.symlink('{course}/graders/test_tiny.py', 'g.py')\nnotes_path = 'g.py'"),
    Case("export_symlink", 2, "not a plain file", code=patch('''
copy = json.load(open(os.path.join(folder, "notes_path.json")))["copy"]
os.remove(os.path.join(folder, copy))
os.symlink("/etc/passwd", os.path.join(folder, copy))''')),
    Case("export_dotdot", 1, "not a plain file", code=patch('''
m = json.load(open(os.path.join(folder, "manifest.json")))
m["answer"]["file"] = "../../../etc/passwd"
json.dump(m, open(os.path.join(folder, "manifest.json"), "w"))''')),
    # (the kernel's file-size limit stops this one first; safe_copy's own cap is in test_verdict.py)
    Case("export_huge", 1, "`answer`", code=patch('''
with open(os.path.join(folder, "answer.json"), "wb") as f:
    for _ in range(9):
        f.write(b" " * 2**26)''')),
    Case("export_bad_json", 1, "not valid JSON", code=patch('''
open(os.path.join(folder, "answer.json"), "w").write("{42")''')),
    Case("export_bad_manifest", 0, "could not read what your notebook handed over", code=patch('''
open(os.path.join(folder, "manifest.json"), "w").write("[1, 2")''')),
    # --- reaching outside the submission
    Case("read_graders", 3, code="import os\nanswer = 0 if os.path.exists('{course}/graders/test_tiny.py') else 42", walls=True),
    Case("read_source", 3, code="import os\nanswer = 0 if os.path.exists('{course}/source/tiny/tiny.ipynb') else 42", walls=True),
    Case("read_other_student", 3,
         code="import os\nanswer = 0 if os.path.exists('{course}/submitted/honest_1/tiny/tiny.ipynb') else 42", walls=True),
    Case("write_gradebook", 3, code="try:\n    open('{course}/gradebook.db', 'ab').write(b'x')\n    answer = 0\n"
                                    "except OSError:\n    answer = 42", walls=True),
    Case("network", 3, code="import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
                            "    answer = 0\nexcept OSError:\n    answer = 42", walls=True),
    # --- exhausting resources
    Case("fork_bomb", 0, "more than 32 processes",
         code="import os, time\nfor _ in range(500):\n    if os.fork() == 0:\n        time.sleep(60)\n        os._exit(0)", walls=True),
    Case("memory_hog", 0, "more than 1 GB of memory", code="hog = bytearray(3 * 2**30)\nimport time; time.sleep(5)", walls=True),
    Case("huge_file", 3, code="try:\n    with open('big.bin', 'wb') as f:\n        for _ in range(1024):\n"
                              "            f.write(b'0' * 2**20)\nexcept OSError as e:\n    print(e)", walls=True),
    Case("huge_output", 0, "printed more than 10 MB of output", code="for _ in range(12):\n    print('x' * 2**20)"),
    # --- killing or stalling the kernel
    Case("sys_exit", 3, code="import sys\nsys.exit()"),
    Case("os_exit", 0, "kernel stopped", code="import os\nos._exit(1)"),
    Case("kill_self", 0, "kernel stopped", code="import os\nos.kill(os.getpid(), 9)"),
    Case("ignores_sigint", 0, "limit per cell",
         code="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"),
    Case("background_process", 3,
         code="import subprocess\n_ = subprocess.Popen(['sleep', '600'], start_new_session=True)", walls=True),
    Case("sleeps_past_budget", 0, "its 20 s limit", code="import time\ntime.sleep(8)\n", edit=lambda nb: [
        nb.cells.insert(3, nbformat.v4.new_code_cell("import time\ntime.sleep(8)")) for _ in range(2)]),
    # --- broken or edited notebooks
    Case("nan_answer", 1, "`answer` is 'nan'", answer="answer = float('nan')"),
    Case("deleted_check", 3, edit=delete_check),
    Case("edited_check", 1, "should be 6 times 7", answer=WRONG, edit=edit_check),
    Case("retyped_check", 1, "should be 6 times 7", answer=WRONG, edit=retype_check),
    Case("reordered_checks", 1, "should be 6 times 7", answer=WRONG, edit=reorder_checks),
    Case("bonus_check", 3, edit=bonus_cell),
    Case("other_kernelspec", 3, edit=bash_kernel),
    Case("invalid_json", 0, raw=lambda nb: '{"cells": [ this is not json'),
    Case("nbformat_3", 3, raw=lambda nb: nbformat.writes(nbformat.convert(nb, 3), version=3)),
]
# --- breaking the walls themselves. Each attack, should it succeed, creates a new file named
# MARKER (never changing one that exists) and sets `answer` to 0; so a hole costs points and leaves
# a file that test_no_file_outside_the_graded_folders_changed finds.
MARKER = "tfgrader-hostile-marker"
WALLS = f'''import os, site, sys, sysconfig, tfgrader
base = sysconfig.get_paths(vars={{"base": sys.base_prefix, "platbase": sys.base_prefix}})
walls = [sysconfig.get_paths()["purelib"], base["purelib"], base["stdlib"], os.path.dirname(tfgrader.__file__),
         os.path.join(os.path.dirname(tfgrader.__file__), "__pycache__"), "/datasets", "/etc", "/usr"]
def plant(folder, name="{MARKER}"):
    try:
        open(os.path.join(folder, name), "x").close()
        return [os.path.join(folder, name)]
    except OSError:
        return []
'''
REMOUNT = WALLS + '''import ctypes
libc = ctypes.CDLL(None, use_errno=True)
MS_RDONLY, MS_REMOUNT, MS_BIND = 1, 32, 4096
written = []
for wall in walls:
    libc.mount(None, wall.encode(), None, MS_REMOUNT | MS_BIND, None)
    written += plant(wall)
answer = 0 if written else 42
print(written)'''
# Code that every later Python of the environment would run: a .pth file, sitecustomize,
# usercustomize, and bytecode in the package's __pycache__ (`python -I` still reads .pth files).
PLANT = WALLS + f'''written = []
for wall in walls[:3]:
    written += plant(wall, "{MARKER}.pth") + plant(wall, "sitecustomize.py") + plant(wall, "usercustomize.py")
written += plant(walls[4], "{MARKER}." + sys.implementation.cache_tag + ".pyc")
answer = 0 if written else 42
print(written)'''
# The instructor's environment (a database password) and the course's layout: nowhere in /proc,
# in what the sandbox mounts, or in the kernel's own environment.
SNOOP = '''import glob, os
wanted = ["{secret}", "{course}", "honest_1", "honest_2"]
found = []
for path in glob.glob("/proc/*/environ") + glob.glob("/proc/*/cmdline") + glob.glob("/proc/*/mountinfo"):
    try:
        data = open(path, "rb").read()
    except OSError:
        continue
    found += [(path, w) for w in wanted if w.encode() in data]
found += [(key, w) for key, value in os.environ.items() for w in wanted if w in value]
answer = 0 if found else 42
print(found)'''
# Every call Docker's default profile refuses (x86-64 numbers), each made with arguments that
# do nothing: each must fail with EPERM (clone3 with ENOSYS, for the C library's fallback).
SYSCALLS = '''import ctypes, os, platform
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
CLONE_NEWUSER, SIGCHLD = 0x10000000, 17
calls = {"mount": (165, 0, 0, 0, 0, 0), "umount2": (166, 0, 0), "pivot_root": (155, 0, 0),
         "unshare": (272, CLONE_NEWUSER), "setns": (308, -1, 0), "clone_newuser": (56, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0),
         "ptrace": (101, 0, 0, 0, 0), "process_vm_readv": (310, os.getpid(), 0, 0, 0, 0, 0),
         "process_vm_writev": (311, os.getpid(), 0, 0, 0, 0, 0), "kexec_load": (246, 0, 0, 0, 0),
         "bpf": (321, 0, 0, 0), "perf_event_open": (298, 0, 0, -1, -1, 0), "keyctl": (250, 0, 0, 0, 0, 0),
         "add_key": (248, 0, 0, 0, 0, 0), "request_key": (249, 0, 0, 0, 0), "open_by_handle_at": (304, -1, 0, 0),
         "userfaultfd": (323, 0), "mount_setattr": (442, -1, 0, 0, 0, 0), "fsopen": (430, 0, 0),
         "open_tree": (428, -1, 0, 0), "clone3": (435, 0, 0)}
allowed = []
for name, (number, *args) in calls.items() if platform.machine() == "x86_64" else ():
    ctypes.set_errno(0)
    got = libc.syscall(ctypes.c_long(number), *[ctypes.c_long(a) for a in args])
    if got == 0 and name == "clone_newuser":
        os._exit(0)  # the child of a clone that should not have happened
    if (got, ctypes.get_errno()) != (-1, 38 if name == "clone3" else 1):
        allowed.append((name, got, ctypes.get_errno()))
answer = 0 if allowed else 42
print(allowed)'''
TIOCSTI = '''import fcntl, os, termios
typed = []
for fd in (0, 1, 2):
    try:
        fcntl.ioctl(fd, termios.TIOCSTI, b"#")
        typed.append(fd)
    except OSError:
        pass
try:
    os.open("/dev/tty", os.O_RDWR)
    typed.append("/dev/tty")
except OSError:
    pass
answer = 0 if typed else 42
print(typed)'''
# A file that runs as its owner, which on the host is the grading user (root, here).
SETUID = f'''import os
for folder in (".", "/home/student/.tfgrader-export", "/tmp"):
    path = os.path.join(folder, "{MARKER}-setuid")
    open(path, "x").close()
    os.chmod(path, 0o4755)'''

CASES += [
    Case("remount_walls", 3, code=REMOUNT, walls=True),
    Case("plant_startup_code", 3, code=PLANT, walls=True),
    Case("snoop_environment", 3, code=SNOOP, walls=True),
    Case("refused_syscalls", 3, code=SYSCALLS, walls=True),
    Case("terminal_injection", 3, code=TIOCSTI, walls=True),
    Case("setuid_file", 3, code=SETUID, walls=True),
    # four files under the 100 MB file cap, 360 MB in all, against the 300 MB disk limit
    Case("disk_filler", 0, "wrote more than 300 MB to disk",
         code="import time\nfor i in range(4):\n    with open(f'fill{i}.bin', 'wb') as f:\n"
              "        f.write(b'0' * (90 * 2**20))\ntime.sleep(5)", walls=True),
]
HONEST = ("honest_1", "honest_2")


def make(reference, case: Case, course: Path, port: int) -> str:
    nb = nbformat.from_dict(json.loads(json.dumps(reference)))
    if case.answer is not None:
        grade_cell(nb, "answer").source = case.answer
    if case.code:
        position = nb.cells.index(grade_cell(nb, "notes")) + 1
        nb.cells.insert(position, nbformat.v4.new_code_cell(case.code.replace("{course}", str(course))
                                                            .replace("{port}", str(port))
                                                            .replace("{secret}", SECRET)))
    if case.edit:
        case.edit(nb)
    return case.raw(nb) if case.raw else nbformat.writes(nb)


@pytest.fixture(scope="module")
def listener():
    """A real TCP server on this machine's loopback, which no notebook may reach."""
    server = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=lambda: [server.accept() for _ in iter(int, 1)], daemon=True).start()
    yield server.getsockname()[1]
    server.close()


# Grading runs as root in CI and in most containers, and as a user on an instructor's laptop:
# where the suite runs as root the corpus is graded both ways at once (as a user it creates, in a
# process of its own, beside this one), else as this user.
WHO = ["as_root", "as_user"] if os.getuid() == 0 else ["as_user"]
TEST_USER = "tfgrader-test"
WORKERS = 3  # per batch: six notebooks at once on 2 cores where both run, most of them waiting


def cases(who: str) -> list[Case]:
    """The cases a batch grades: all of them, but only those about the walls in the second way of grading."""
    return CASES if who == WHO[0] else [case for case in CASES if case.walls]


def corpus(course: Path, port: int, who: str) -> None:
    public.generate(course, A)
    reference = samples.reference(course, A)
    for student in HONEST:
        samples.submit(course, A, student, reference)
    for case in cases(who):
        path = CourseLayout(course).submitted_notebook(case.name, A)
        path.parent.mkdir(parents=True)
        path.write_text(make(reference, case, course, port))


@pytest.fixture(scope="module")
def batches(tmp_path_factory, listener):
    """The whole corpus and two honest students, autograded as one batch per way of grading, three at a
    time each: many of these notebooks wait (on a limit, a sleep, a dead kernel) more than they compute."""
    parents = {"as_root": tmp_path_factory.mktemp("tiny")} if "as_root" in WHO else {}
    parents["as_user"] = (Path(tempfile.mkdtemp(prefix="tfgrader-hostile-")) if os.getuid() == 0
                          else tmp_path_factory.mktemp("tiny"))
    courses = {who: copy_course(TINY, parent / "course") for who, parent in parents.items()}
    for who, course in courses.items():
        corpus(course, listener, who)
    before = fingerprint(walls())
    runs = {}
    with pytest.MonkeyPatch.context() as env, ThreadPoolExecutor(max_workers=2) as pool:
        env.setenv("PGPASSWORD", SECRET)
        env.setenv("TFGRADER_TEST_SECRET", SECRET)
        futures = {who: pool.submit(grade_as_user if who == "as_user" and os.getuid() == 0 else grade_here,
                                    course, parents[who]) for who, course in courses.items()}
        runs = {who: future.result() for who, future in futures.items()}
    after = fingerprint(walls())
    yield {who: Batch(course, runs[who], {row.student: row for row in report.scores(course, A)}, before, after, who)
           for who, course in courses.items()}
    if os.getuid() == 0:
        shutil.rmtree(parents["as_user"], ignore_errors=True)


@pytest.fixture(scope="module", params=WHO)
def batch(request, batches):
    return batches[request.param]


def grade_here(course: Path, parent: Path) -> dict:
    return {run.student: run for run in schedule.autograde_all(course, A, workers=WORKERS)}


@dataclass
class Batch:
    course: Path
    runs: dict
    scores: dict
    before: dict
    after: dict
    who: str

    def __iter__(self):  # course, runs, scores = batch
        return iter((self.course, self.runs, self.scores))


def walls() -> list[Path]:
    """What no notebook may change: the Python environment, its base installation, this package, the datasets."""
    import tfgrader

    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(tfgrader.__file__).parent}
    if os.environ.get("TFGRADER_DATA_DIR"):
        roots.add(Path(os.environ["TFGRADER_DATA_DIR"]))
    return sorted(Path(os.path.realpath(r)) for r in roots)


def fingerprint(roots: list[Path]) -> dict[str, tuple]:
    """Path -> (mode, size, mtime, sha256 for the package's and the datasets' files) of everything under ``roots``."""
    import hashlib

    prints = {}
    for root in roots:
        hashed = root.name in ("tfgrader", "datasets") or "datasets" in root.parts
        for parent, dirs, names in os.walk(root):
            for name in dirs + names:
                path = os.path.join(parent, name)
                info = os.lstat(path)
                digest = None
                if hashed and stat.S_ISREG(info.st_mode) and "__pycache__" not in path:
                    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
                prints[path] = (info.st_mode, info.st_size if not stat.S_ISDIR(info.st_mode) else 0,
                                info.st_mtime_ns if not stat.S_ISDIR(info.st_mode) else 0, digest)
    return prints


def grade_as_user(course: Path, parent: Path) -> dict:
    """Autograde the batch as an unprivileged user that this test makes (``useradd``, then ``runuser``),
    with a search right (an ACL, taken back afterwards) on the folders above the Python it needs."""
    import pwd

    if shutil.which("setfacl") is None:
        pytest.fail("The hostile batch as an unprivileged user needs setfacl: install Debian's `acl` "
                    "(./run does, as root).")
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER],
                       check=True)
    home = parent / "home"
    home.mkdir()
    subprocess.run(["chown", "-R", f"{TEST_USER}:", str(parent)], check=True)
    parent.chmod(0o755)
    granted = []
    for root in [*walls(), Path(sys.executable).resolve(), Path(__file__).resolve().parents[1]]:
        for folder in reversed(root.parents):
            if folder.is_dir() and not folder.stat().st_mode & 0o001 and folder not in granted:
                subprocess.run(["setfacl", "-m", f"u:{TEST_USER}:x", str(folder)], check=True)
                granted.append(folder)
    script = ("import json, sys\nfrom dataclasses import asdict\nfrom pathlib import Path\n"
              "from tfgrader.instructor.batch import schedule\n"
              "runs = schedule.autograde_all(Path(sys.argv[1]), sys.argv[2], workers=int(sys.argv[3]))\n"
              "print(json.dumps([asdict(run) for run in runs]))")
    env = {key: os.environ[key] for key in ("PATH", "LANG", "TFGRADER_DATA_DIR", "TFGRADER_NO_DOWNLOAD",
                                            "PGPASSWORD", "TFGRADER_TEST_SECRET", "TF_CPP_MIN_LOG_LEVEL")
           if key in os.environ}
    try:
        proc = subprocess.run(["runuser", "-u", TEST_USER, "--", sys.executable, "-c", script, str(course), A,
                               str(WORKERS)],
                              env={**env, "HOME": str(home)}, cwd=str(home), capture_output=True, text=True,
                              timeout=1200)
    finally:
        for folder in granted:
            subprocess.run(["setfacl", "-x", f"u:{TEST_USER}", str(folder)], check=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {run["student"]: schedule.Run(**run) for run in json.loads(proc.stdout.strip().splitlines()[-1])}


@pytest.mark.parametrize(("who", "case"), [(who, case) for who in WHO for case in cases(who)],
                         ids=[f"{who}-{case.name}" for who in WHO for case in cases(who)])
def test_hostile_submission_gets_its_points_and_a_message(batches, who, case):
    """Does each hostile or broken submission get exactly its points, with a message naming what happened?"""
    course, runs, scores = batches[who]
    row = scores.get(case.name)
    score = row.score if row else 0
    said = " ".join(row.failed.values()) if row else runs[case.name].error
    assert score == case.points, (said, runs[case.name])
    assert case.message in said
    if case.points < 3:
        assert said.strip()


def test_honest_students_in_the_same_batch_are_graded_right(batch):
    """Are the honest students of the hostile batch graded in full, every run but the unreadable one ok?"""
    course, runs, scores = batch
    assert [scores[s].score for s in HONEST] == [3, 3]
    failed = {s: run.error for s, run in runs.items() if not run.ok}
    unreadable = [case.name for case in cases(batch.who) if case.name == "invalid_json"]
    assert list(failed) == unreadable, failed
    assert all(runs[name].error for name in unreadable)


def test_nothing_outlives_the_batch(batch):
    """Is no process that a notebook started (a background `sleep 600`, a fork bomb's copies of the kernel)
    or that graded it still running after the batch, and no control group of theirs left?"""
    import psutil

    from tfgrader.instructor.confine import cgroups

    assert cgroups.left_behind() == []

    course = str(batch.course)
    leftovers = [p.info["cmdline"] for p in psutil.process_iter(["cmdline"])
                 if p.info["cmdline"] and (p.info["cmdline"][:2] == ["sleep", "600"]
                                           or any(course in part for part in p.info["cmdline"]))]
    assert leftovers == []


def test_feedback_leaks_nothing_of_the_graders(batch):
    """Does the feedback of every graded student carry messages but no grader code, name or server path?"""
    course, runs, scores = batch
    proc = runner.nbgrader(course, "generate_feedback", A, "--force")
    assert proc.returncode == 0, proc.stderr[-2000:]
    pages = list((course / "feedback").glob(f"*/{A}/{A}.html"))
    assert len(pages) == len([run for run in runs.values() if run.ok])
    for page in pages:
        html = page.read_text()
        own = (CourseLayout(course).submitted_notebook(page.parent.parent.name, A)).read_text()
        for secret in ("test_tiny", "EXPORTS", "HIDDEN TESTS", "tfgrader.check(", str(course),
                       "def test_", "submission.value"):
            assert secret not in html or secret in own, (page, secret)  # (a student may quote a path)
    failing = "edited_check" if "edited_check" in runs else "memory_hog"
    assert ("should be 6 times 7" if failing == "edited_check" else "more than 1 GB") in (
        CourseLayout(course).feedback(failing, A) / f"{A}.html").read_text()


def test_results_record_the_sandbox(batch):
    """Does every recorded result say the sandbox was on, and a stopped notebook why it stopped?"""
    course, runs, scores = batch
    honest = json.loads((CourseLayout(course).results("honest_1", A)).read_text())
    hog = json.loads((CourseLayout(course).results("memory_hog", A)).read_text())
    assert honest["sandbox"] is True and hog["sandbox"] is True
    assert "more than 1 GB of memory" in hog["stopped"]
    shutil.rmtree(course / "feedback", ignore_errors=True)


def test_unsandboxed_grading_is_loud_and_marked(batch, monkeypatch):
    """Graded with the sandbox turned off on purpose, is it logged loudly and marked in the record and the report?"""
    course, runs, scores = batch
    monkeypatch.setenv("TFGRADER_SANDBOX", "off")
    proc = runner.nbgrader(course, "autograde", A, "--student", "honest_2", "--force")
    assert proc.returncode == 0 and "SANDBOX OFF" in proc.stderr
    record = json.loads((CourseLayout(course).results("honest_2", A)).read_text())
    assert record["sandbox"] is False
    table = report.format_table(report.scores(course, A))
    assert [line for line in table.splitlines() if "UNSANDBOXED" in line][0].startswith("honest_2")


def test_no_file_outside_the_graded_folders_changed(batch):
    """After the batch, is every file of the Python environment, its base installation, the package and the
    datasets as it was before, and is no attack's marker (a setuid file among them) left anywhere?"""
    changed = sorted(path for path in batch.before.keys() | batch.after.keys()
                     if batch.before.get(path) != batch.after.get(path) and "__pycache__" not in path)
    planted = sorted(path for path in batch.after if MARKER in path)
    assert (changed, planted) == ([], [])
    left = [str(path) for folder in (batch.course, Path(tempfile.gettempdir()))
            for path in folder.rglob(f"{MARKER}*")]
    assert left == []


def test_results_record_what_held_the_limits(batch):
    """Does every result say what held the limits: a control group where this host lets the grading user make
    one (root here), else the watchdog?"""
    from tfgrader.instructor.confine import cgroups

    record = json.loads((CourseLayout(batch.course).results("honest_1", A)).read_text())
    expected = cgroups.available() if batch.who == "as_root" or os.getuid() != 0 else ""
    assert record["limits_by"].startswith(expected or "watchdog"), record["limits_by"]
    assert record["grader_limits_by"].startswith(expected or "watchdog"), record["grader_limits_by"]

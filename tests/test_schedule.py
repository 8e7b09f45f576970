"""Tests for tfgrader.instructor.batch: the scheduler and the nbgrader runner, with nbgrader replaced by a stub
(the real pipeline runs in test_assignments.py, two students at a time)."""

import threading
import time

import pytest

from tfgrader.instructor.batch import runner, schedule, stamps


def test_workers_grade_at_once_and_keep_the_order(monkeypatch, tmp_path):
    """With two workers, do two students run at the same time, results in the students' order,
    and does one failed run leave the others alone?"""
    running, peak, lock = [0], [0], threading.Lock()

    def fake_autograde(course, assignment, student, *options, **_):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05 if student != "a" else 0.2)  # the first finishes last
        with lock:
            running[0] -= 1
        return schedule.Run(student, student != "c", "" if student != "c" else "broken")

    monkeypatch.setattr(schedule, "autograde", fake_autograde)
    monkeypatch.setattr(schedule, "preflight", lambda course: True)
    runs = schedule.autograde_all(tmp_path, "x", names=["a", "b", "c", "d"], workers=2)
    assert [r.student for r in runs] == ["a", "b", "c", "d"]
    assert [r.ok for r in runs] == [True, True, False, True]
    assert peak[0] == 2


def test_one_worker_by_default(monkeypatch, tmp_path):
    """Without workers or TFGRADER_WORKERS, is one student graded at a time?"""
    monkeypatch.delenv("TFGRADER_WORKERS", raising=False)
    threads = set()

    def fake_autograde(course, assignment, student, *options, **_):
        threads.add(threading.get_ident())
        return schedule.Run(student, True)

    monkeypatch.setattr(schedule, "autograde", fake_autograde)
    monkeypatch.setattr(schedule, "preflight", lambda course: True)
    assert [r.student for r in schedule.autograde_all(tmp_path, "x", names=["a", "b", "c"])] == ["a", "b", "c"]
    assert threads == {threading.get_ident()}


def test_fingerprint_sees_every_input_and_follows_no_link(tmp_path):
    """Does the fingerprint change with the submission, the grader and the source, and hash a link as its text?"""
    import os

    for folder in ("submitted/ada/a", "source/a", "graders"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    (tmp_path / "submitted/ada/a/a.ipynb").write_text("{}")
    seen = {stamps.fingerprint(tmp_path, "a", "ada")}
    for path, text in (("submitted/ada/a/a.ipynb", "{ }"), ("graders/test_a.py", "# v1"),
                       ("source/a/a.ipynb", "{}"), ("nbgrader_config.py", "c = get_config()  # v2\n")):
        (tmp_path / path).write_text(text)
        seen.add(stamps.fingerprint(tmp_path, "a", "ada"))
    os.symlink("/etc/hostname", tmp_path / "submitted/ada/a/link")
    seen.add(stamps.fingerprint(tmp_path, "a", "ada"))
    assert len(seen) == 6
    assert stamps.fingerprint(tmp_path, "a", "ada") in seen  # the same inputs, the same fingerprint


def test_nbgrader_runs_forked_from_the_warm_server_in_the_course(tmp_path):
    """Does a command forked from the warm server run in the course folder and give its output and exit
    status, as a process started anew would?"""
    import nbgrader

    assert runner._can_fork()
    (tmp_path / "nbgrader_config.py").write_text("c.CourseDirectory.course_id = 'warm'\n")
    first, second = (runner.nbgrader(tmp_path, "--version") for _ in range(2))
    assert first.returncode == second.returncode == 0
    assert first.stdout.splitlines()[-1] == f"nbgrader version {nbgrader.__version__}" == second.stdout.splitlines()[-1]
    listed = runner.nbgrader(tmp_path, "db", "student", "list")
    assert listed.returncode == 0, listed.stderr
    assert (tmp_path / "gradebook.db").is_file()  # written where the course is
    refused = runner.nbgrader(tmp_path, "autograde", "ps1", "--student", "nobody")
    assert refused.returncode == 1 and "No notebooks were matched" in refused.stderr


SCRIPT = """
import sys

from tfgrader.instructor.batch import runner

print("top level", flush=True)
for _ in range(2):
    proc = runner.nbgrader(sys.argv[1], "--version")
    print(runner._can_fork(), proc.returncode, proc.stdout.splitlines()[-1], flush=True)
"""


@pytest.mark.parametrize("how", ["file", "stdin"])
def test_unguarded_script_forks_without_running_again(tmp_path, how):
    """Does a script that calls the pipeline with no `if __name__ == "__main__":` guard, as a file or
    read from standard input, fork nbgrader without its top level running again in the child?"""
    import subprocess
    import sys

    import nbgrader

    (tmp_path / "nbgrader_config.py").write_text("")
    (tmp_path / "script.py").write_text(SCRIPT)
    argv = [sys.executable, "script.py" if how == "file" else "-", str(tmp_path)]
    proc = subprocess.run(argv, cwd=tmp_path, input=SCRIPT if how == "stdin" else None, capture_output=True,
                          text=True, timeout=120)
    version = f"True 0 nbgrader version {nbgrader.__version__}"
    assert proc.stdout.splitlines() == ["top level", version, version], proc.stderr[-2000:]


def test_nbgrader_past_its_time_is_stopped(tmp_path):
    """Is a command that runs past its time killed, with the timeout a started process would raise?"""
    import subprocess

    with pytest.raises(subprocess.TimeoutExpired):
        runner.nbgrader(tmp_path, "--version", timeout=0.001)


def test_forked_children_ended_at_once_each_give_their_own_exit_code():
    """With four threads starting and waiting on forked children at once, does each read its child's
    own exit code? (multiprocessing's unguarded poll once let one thread take another's and leave it 255)"""
    import os
    from concurrent.futures import ThreadPoolExecutor

    def run(n):
        return runner._forked(os._exit, (n % 7,), timeout=60)

    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(run, range(400)))
    assert codes == [n % 7 for n in range(400)]


def test_a_batch_whose_memory_limits_do_not_fit_the_machine_is_named():
    """Does a batch whose workers, each at its assignment's memory limit (05's own 8 GB), need more memory
    than the machine has get a warning that says how many workers fit, and one that fits none?"""
    from pathlib import Path

    from tfgrader.instructor.course import ASSIGNMENTS

    course = Path(__file__).resolve().parents[1]
    assert schedule.memory_fit(course, ASSIGNMENTS[4], 1) is None
    warning = schedule.memory_fit(course, ASSIGNMENTS[4], 10_000)
    assert warning.startswith("10000 workers at 8 GB each") and "--workers" in warning

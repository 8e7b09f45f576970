"""Resumable batches: a killed batch loses no grade, a rerun grades only what
is missing or changed, and a changed grader regrades everyone.

Real runs of ``tfgrader autograde`` on the tiny course (tests/fixtures/tiny_course),
sandbox on, killed with SIGKILL as an operator or the OOM killer would.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tfgrader.instructor.course import CourseLayout, STAMP
from tfgrader.wire import EXPORT_DIRNAME

from conftest import WRONG_ANSWER, tiny_course


from tfgrader.instructor.batch import schedule
from tfgrader.instructor.batch.progress import BatchProgress, summary

pytestmark = pytest.mark.slow
A = "tiny"
STUDENTS = {"ada": 3.0, "bob": 1.0, "cy": 3.0, "dee": 1.0}  # the points each must end with


def gradebook(course: Path) -> dict[str, float]:
    """Student -> score of every submission of the tiny assignment in nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(A)}


def stamped(course: Path) -> list[str]:
    layout = CourseLayout(course)
    return [student for student in layout.students(A) if layout.stamp(student, A).exists()]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The tiny course with four submissions: two right, two with the wrong answer."""
    return tiny_course(tmp_path_factory.mktemp("batch") / "course",
                       {student: () if points == 3 else WRONG_ANSWER for student, points in STUDENTS.items()})


def cli(course: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tfgrader.instructor.cli", "--course", str(course),
                             "autograde", A, "--workers", "1", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, CI="true"))


def test_killed_batch_resumes_without_losing_a_grade(course):
    """After kill -9 mid-batch, does a rerun grade only what is missing, each student once in the gradebook?"""
    batch = cli(course)
    deadline = time.monotonic() + 180
    while not stamped(course) and time.monotonic() < deadline and batch.poll() is None:
        time.sleep(0.2)
    time.sleep(1.0)  # the next student is being graded now
    batch.send_signal(signal.SIGKILL)
    batch.wait()
    done = stamped(course)
    assert 1 <= len(done) < len(STUDENTS), done
    time.sleep(1.0)
    leftovers = [p.info["cmdline"] for p in psutil.process_iter(["cmdline"])
                 if p.info["cmdline"] and any(str(course) in part for part in p.info["cmdline"])]
    assert leftovers == [], "a killed batch left grading processes behind"
    before = {s: gradebook(course)[s] for s in done}

    rerun = cli(course)
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err[-2000:]
    assert f"graded {len(STUDENTS) - len(done)}, skipped {len(done)} as unchanged, failed 0" in out
    assert gradebook(course) == STUDENTS
    assert {s: gradebook(course)[s] for s in done} == before
    assert stamped(course) == sorted(STUDENTS)
    assert "[4/4]" in err and "unchanged, skipped" in err  # plain progress lines in a CI log


def test_unchanged_batch_grades_nothing_and_a_changed_one_only_what_changed(course):
    """With every grade current, is nothing regraded; then is only the changed submission, then everyone after a grader change?"""
    assert stamped(course) == sorted(STUDENTS)  # (graded by the test above)
    runs = schedule.autograde_all(course, A)
    assert [r.skipped for r in runs] == [True] * len(STUDENTS)

    path = CourseLayout(course).submitted_notebook("bob", A)
    path.write_text(path.read_text().replace("answer = 0", "answer = 6 * 7"))
    runs = {r.student: r for r in schedule.autograde_all(course, A)}
    assert [s for s, r in runs.items() if not r.skipped] == ["bob"]
    assert gradebook(course) == dict(STUDENTS, bob=3.0)

    grader = course / "graders" / "test_tiny.py"
    grader.write_text(grader.read_text() + "\n# a changed grader\n")
    shown = io.StringIO()
    with BatchProgress(len(STUDENTS), "regrade", stream=shown) as progress:
        runs = schedule.autograde_all(course, A, workers=2, on_done=progress.done)
    assert [r.skipped for r in runs] == [False] * len(STUDENTS) and all(r.ok for r in runs)
    assert gradebook(course) == dict(STUDENTS, bob=3.0)
    assert summary(runs, 75).startswith("graded 4, skipped 0 as unchanged, failed 0, in 1 min 15 s")
    assert shown.getvalue().count("graded in") == len(STUDENTS)


def test_half_written_folder_is_thrown_away(course):
    """Is an autograded folder without a stamp (a run stopped half-way) regraded, with nothing of it left?"""
    folder = CourseLayout(course).autograded("cy", A)
    (folder / EXPORT_DIRNAME / STAMP).unlink()
    (folder / "half-written.txt").write_text("left by a killed run")
    runs = {r.student: r for r in schedule.autograde_all(course, A)}
    assert [s for s, r in runs.items() if not r.skipped] == ["cy"]
    assert not (folder / "half-written.txt").exists() and (folder / EXPORT_DIRNAME / STAMP).exists()
    assert gradebook(course)["cy"] == 3.0

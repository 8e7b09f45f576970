"""The JupyterHub flow end to end, on a local exchange folder with two students:
release_assignment, fetch_assignment, the student's edit, submit, collect,
autograde, generate_feedback, release_feedback, fetch_feedback. Every step is
the real nbgrader command; each student is a Unix user of their own, working
in their own home folder, as on a hub (nbgrader's exchange knows students by
their user name and checks who owns each submission). Creating the two users
needs root, as CI runs."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from conftest import tiny_course

from tfgrader.instructor.batch import runner, schedule
from tfgrader.instructor.course import CourseLayout
from tfgrader.instructor.outputs import report

pytestmark = pytest.mark.slow
A = "tiny"
COURSE_ID = "tiny-course"
ANSWERS = {"tfg_alice": "answer = 6 * 7", "tfg_bob": "answer = 0"}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A folder every user can reach (the exchange, the students' homes), and the two student users."""
    if os.geteuid() != 0:
        pytest.fail("The exchange test creates two Unix users (students), which needs root: run it as root, "
                    "as CI does (./run test).")
    for student in ANSWERS:
        try:
            pwd.getpwnam(student)
        except KeyError:
            subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", student], check=True)
    # On a hub, Python is installed for every user. Here it may sit under a
    # private folder (pyenv in /root): let others pass through, for this test only.
    opened = [folder for folder in Path(os.path.realpath(sys.executable)).parents
              if not folder.stat().st_mode & 0o001]
    for folder in opened:
        folder.chmod(folder.stat().st_mode | 0o001)
    root = Path(tempfile.mkdtemp(prefix="tfgrader-hub-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)
        for folder in opened:
            folder.chmod(folder.stat().st_mode & ~0o001)


def as_student(student: str, home: Path, exchange: Path, *args: str) -> subprocess.CompletedProcess:
    """An nbgrader command as ``student`` runs it, in their own home folder on the hub."""
    proc = subprocess.run(["runuser", "-u", student, "--", "env", f"HOME={home}", sys.executable, "-m", "nbgrader",
                           *args, f"--Exchange.root={exchange}", f"--course={COURSE_ID}"],
                          cwd=home, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def as_instructor(course: Path, *args: str) -> subprocess.CompletedProcess:
    proc = runner.nbgrader(course, *args)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def test_release_fetch_submit_collect_grade_and_return_feedback(hub, tmp_path):
    """Does each student get back, through the exchange, feedback with their own points and messages?"""
    exchange = hub / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # nbgrader's exchange is shared by every user of the hub
    course = tiny_course(tmp_path / "course", {})
    with (course / "nbgrader_config.py").open("a") as config:
        config.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    as_instructor(course, "release_assignment", A)

    for student, answer in ANSWERS.items():
        home = hub / "home" / student
        home.mkdir(parents=True)
        shutil.chown(home, student, student)
        as_student(student, home, exchange, "fetch_assignment", A)
        path = home / A / f"{A}.ipynb"
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:  # the student fills in the two solution cells
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id == "answer":
                cell.source = answer
            elif grade_id == "notes":
                cell.source = 'notes_path = "notes.txt"\nwith open(notes_path, "w") as f:\n    f.write("hello")'
        nbformat.write(nb, path)
        shutil.chown(path, student, student)
        as_student(student, home, exchange, "submit", A)

    as_instructor(course, "collect", A)
    assert sorted(CourseLayout(course).students(A)) == sorted(ANSWERS)
    assert all(run.ok for run in schedule.autograde_all(course, A, workers=2))
    assert {row.student: row.score for row in report.scores(course, A)} == {"tfg_alice": 3.0, "tfg_bob": 1.0}
    as_instructor(course, "generate_feedback", A)
    as_instructor(course, "release_feedback", A)

    for student in ANSWERS:
        home = hub / "home" / student
        as_student(student, home, exchange, "fetch_feedback", A)
        [page] = (home / A / "feedback").glob(f"*/{A}.html")
        html = page.read_text()
        assert ("Score: 3.0 / 3.0" in html) == (student == "tfg_alice")
        summary = html[html.index('<table class="tfgrader-checks">'):]  # the checks, by name, at the top
        assert html.index("tfgrader-checks") < html.index("Tiny assignment")
        assert ("✘ answer</td><td>0 / 2</td><td>`answer` is 0; it should be 6 times 7." in summary) == (
            student == "tfg_bob")
        assert "✔ notes</td><td>1 / 1</td><td>Passed.</td>" in summary
        assert ("should be 6 times 7" in html) == (student == "tfg_bob")
        assert "tfgrader.check(" not in html and "HIDDEN TESTS" not in html

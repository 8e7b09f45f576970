"""Grading on more than one machine: one Dask task per submission, the
gradebook on PostgreSQL. Real components, started by the tests (conftest.py):
a ``distributed.LocalCluster`` of two worker processes on loopback and a
PostgreSQL server from Debian's package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import WRONG_ANSWER, tiny_course

from tfgrader.instructor import cli
from tfgrader.instructor.batch import schedule
from tfgrader.instructor.course import CourseLayout
from tfgrader.instructor.outputs import report

pytestmark = pytest.mark.slow
A = "tiny"


# right, a wrong answer, a wrong note, and two more right
STUDENTS = {"ada": (), "bob": WRONG_ANSWER, "cy": (("notes", 'f.write("hello")', 'f.write("bye")'),),
            "dee": (), "eve": ()}


def points(course: Path) -> dict[str, list[tuple[str, float, str]]]:
    return {row.student: [(c.name, c.score, c.message) for c in row.checks] for row in report.scores(course, A)}


def test_cluster_with_postgres_grades_as_a_local_batch_with_sqlite(tmp_path_factory, postgres_url, dask_scheduler,
                                                                   capsys):
    """Do two Dask workers writing to PostgreSQL give the same points and messages as local workers on SQLite?"""
    local = tiny_course(tmp_path_factory.mktemp("local") / "course", STUDENTS)
    assert all(run.ok for run in schedule.autograde_all(local, A, workers=2))
    expected = points(local)
    assert [sum(score for _, score, _ in checks) for checks in expected.values()] == [3, 1, 2, 3, 3]

    shared = tiny_course(tmp_path_factory.mktemp("cluster") / "course", STUDENTS, postgres_url)
    assert cli.main(["--course", str(shared), "autograde", A, "--scheduler", dask_scheduler]) == 0
    assert "graded 5, skipped 0 as unchanged, failed 0" in capsys.readouterr().out
    assert points(shared) == expected
    assert not (shared / "gradebook.db").exists()  # every grade went to PostgreSQL
    for student in expected:
        record = json.loads((CourseLayout(shared).results(student, A)).read_text())
        assert record["sandbox"] is True  # the sandbox and the trusted verdict ran on the workers

    runs = schedule.autograde_all(shared, A, scheduler=dask_scheduler)
    assert [run.skipped for run in runs] == [True] * 5  # a rerun on the cluster resumes too

"""Tests for tfgrader.instructor.pipeline's batch runner, with nbgrader replaced by a stub
(the real pipeline runs in test_assignments.py, two students at a time)."""

import threading
import time

from tfgrader.instructor import pipeline


def test_workers_grade_at_once_and_keep_the_order(monkeypatch, tmp_path):
    """With two workers, do two students run at the same time, results in the students' order,
    and does one failed run leave the others alone?"""
    running, peak, lock = [0], [0], threading.Lock()

    def fake_autograde(course, assignment, student, *options):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05 if student != "a" else 0.2)  # the first finishes last
        with lock:
            running[0] -= 1
        return pipeline.Run(student, student != "c", "" if student != "c" else "broken")

    monkeypatch.setattr(pipeline, "autograde", fake_autograde)
    monkeypatch.setattr(pipeline, "preflight", lambda course: True)
    runs = pipeline.autograde_all(tmp_path, "x", names=["a", "b", "c", "d"], workers=2)
    assert [r.student for r in runs] == ["a", "b", "c", "d"]
    assert [r.ok for r in runs] == [True, True, False, True]
    assert peak[0] == 2


def test_one_worker_by_default(monkeypatch, tmp_path):
    """Without workers or TFGRADER_WORKERS, is one student graded at a time?"""
    monkeypatch.delenv("TFGRADER_WORKERS", raising=False)
    threads = set()

    def fake_autograde(course, assignment, student, *options):
        threads.add(threading.get_ident())
        return pipeline.Run(student, True)

    monkeypatch.setattr(pipeline, "autograde", fake_autograde)
    monkeypatch.setattr(pipeline, "preflight", lambda course: True)
    assert [r.student for r in pipeline.autograde_all(tmp_path, "x", names=["a", "b", "c"])] == ["a", "b", "c"]
    assert threads == {threading.get_ident()}

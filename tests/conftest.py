"""Shared fixtures: the course under test, the real datasets it needs, and
each assignment graded once through the real nbgrader pipeline."""

import json
import shutil
from pathlib import Path

import pytest

from tfgrader.course import ASSIGNMENTS, grader_module

COURSE = Path(__file__).resolve().parents[1]
GRADED_ASSIGNMENTS = [a for a in ASSIGNMENTS if grader_module(COURSE, a).exists()]
BROKEN = "broken_json"
TWIN = "_again"  # suffix of the student who submits the first sample a second time
# Students graded at once. Two nbgrader processes on the 2 cores of CI
# finish a batch about 1.75 times as fast as one (measured on assignment 06).
WORKERS = 2


@pytest.fixture(scope="session")
def course() -> Path:
    """The course directory of this checkout (read it, never write into it)."""
    return COURSE


@pytest.fixture(scope="session")
def datasets_available() -> None:
    """Skip, saying what to do, when a verified copy of some dataset is missing."""
    from tfgrader import data

    try:
        for load in (data.mnist, data.fashion_mnist, data.imdb_word_index, data.auto_mpg):
            load()
    except data.DatasetUnavailable as exc:
        pytest.skip(f"the real datasets are needed for pipeline tests: {exc}")


# Grader modules and their samples are imported by some tests (never by the
# grading runtime, which reads them as text or runs them under pytest).
import sys  # noqa: E402

sys.path.insert(0, str(COURSE / "graders"))


class Graded:
    """One assignment graded once in a scratch copy of the course: the
    reference, the release copy, every sample, an unreadable notebook, and
    the first sample once more under another name (its twin), all in one
    batch."""

    def __init__(self, course: Path, assignment: str, scratch: Path) -> None:
        from tfgrader.instructor import pipeline
        from tfgrader.instructor.validate import copy_course, outcomes, submit_all

        self.assignment = assignment
        self.course = copy_course(course, scratch)
        pipeline.generate(self.course, assignment)
        expected = submit_all(self.course, assignment)
        # The first sample passes some checks and fails others, with measured
        # figures in its messages: grading it twice tests both kinds.
        self.first = [s for s in expected if s not in ("reference", "release")][0]
        self.twin = f"{self.first}{TWIN}"
        submitted = self.course / "submitted"
        shutil.copytree(submitted / self.first, submitted / self.twin)
        broken = submitted / BROKEN / assignment / f"{assignment}.ipynb"
        broken.parent.mkdir(parents=True)
        broken.write_text('{"cells": [ this is not json')
        runs = pipeline.autograde_all(self.course, assignment, workers=WORKERS)
        self.runs = {r.student: r for r in runs}
        self.outcomes = {o.student: o for o in outcomes(self.course, assignment, expected, self.runs)}

    def results(self, student: str) -> dict:
        """The grading process's own results for ``student``."""
        path = self.course / "autograded" / student / self.assignment / ".tfgrader" / "results.json"
        return json.loads(path.read_text())["checks"]


@pytest.fixture(scope="session")
def graded(course, datasets_available, tmp_path_factory):
    """``graded(assignment)``: that assignment graded once per session."""
    cache = {}

    def _graded(assignment: str) -> Graded:
        if assignment not in cache:
            cache[assignment] = Graded(course, assignment, tmp_path_factory.mktemp(assignment) / "course")
        return cache[assignment]

    return _graded


# The tiny course under fixtures/ has a grader module named like a test; it is
# data for the tests, not a test module.
collect_ignore_glob = ["fixtures/*"]

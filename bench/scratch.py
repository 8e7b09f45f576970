"""What every benchmark starts from: a scratch copy of this course."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


from tfgrader.instructor.authoring import public
from tfgrader.instructor.course import copy_course

COURSE = Path(__file__).resolve().parents[1]


@contextmanager
def scratch_course(*assignments: str) -> Iterator[Path]:
    """A throw-away copy of the course with ``assignments`` generated, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="tfgrader-bench-") as scratch:
        course = copy_course(COURSE, Path(scratch) / "course")
        for assignment in assignments:
            public.generate(course, assignment)
        yield course

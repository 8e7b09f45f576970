"""Shared fixtures: the course under test and the real datasets it needs."""

from pathlib import Path

import pytest

COURSE = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def course() -> Path:
    """The course directory of this checkout (read it, never write into it)."""
    return COURSE


@pytest.fixture(scope="session")
def mnist_available() -> None:
    """Skip, saying what to do, when no verified MNIST copy can be found."""
    from tfgrader import data

    try:
        data.mnist()
    except data.DatasetUnavailable as exc:
        pytest.skip(f"real MNIST is needed for pipeline tests: {exc}")


# Grader modules and their samples are imported by some tests (never by the
# grading runtime, which reads them as text or runs them under pytest).
import sys  # noqa: E402

sys.path.insert(0, str(COURSE / "graders"))

"""pytest plugin that turns grader tests into per-check results.

Grader modules declare each rubric item as one test::

    @check(points=3)
    def test_architecture(submission): ...

and the plugin writes ``{"checks": {name: {passed, points, message}}}`` to the
file named by ``--tfgrader-out``. Messages come from assertion messages and
:class:`~tfgrader.grading.submission.StudentError`; grader source code and
tracebacks never reach the student.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tfgrader import wire
from tfgrader.wire import CheckResult, Results
from tfgrader.wire.declarations import check_of_test
from tfgrader.wire.messages import COULD_NOT_RUN, DID_NOT_PASS
from tfgrader.data import DatasetUnavailable
from tfgrader.grading import figures
from tfgrader.grading.submission import StudentError, Submission

_results: dict[str, CheckResult] = {}


def check(points: int, public: bool = False):
    """Declare a grader test as a check worth ``points``. A ``public`` check
    ships with the release, for students to run before they submit (see
    :mod:`tfgrader.instructor.authoring.public`): it must need no long training, and its
    code is no secret."""
    return pytest.mark.tfgrader_check(points=points, public=public)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tfgrader")
    group.addoption("--tfgrader-exports", help="folder of the submission's exported objects")
    group.addoption("--tfgrader-out", help="where to write the results as JSON")
    group.addoption("--tfgrader-module", help="the grader module (its EXPORTS say how to read the exports)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "tfgrader_check(points): a graded check")


@pytest.fixture(scope="session")
def submission(request: pytest.FixtureRequest) -> Submission:
    """The submission being graded."""
    from tfgrader.wire.declarations import requested

    module = request.config.getoption("--tfgrader-module")
    exports = wire.parse_exports(requested(Path(module))) if module else {}
    return Submission(Path(request.config.getoption("--tfgrader-exports")), exports)


@pytest.fixture(scope="session", autouse=True)
def _deterministic() -> None:
    import sys

    if "keras" in sys.modules:  # a grader that uses no model need not start TensorFlow
        from tfgrader.grading.checks.training import deterministic

        deterministic()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    figures.current = check_of_test(item.name) if item.get_closest_marker("tfgrader_check") else None
    try:
        return (yield)
    finally:
        figures.current = None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    marker = item.get_closest_marker("tfgrader_check")
    if marker is None:
        return report
    name = check_of_test(item.name)
    result = _results.setdefault(name, CheckResult.of(name, True, marker.kwargs["points"]))
    if report.failed and result.passed:
        _results[name] = CheckResult.of(name, False, result.max_score, student_message(call.excinfo.value))
    elif report.skipped and result.passed:
        _results[name] = CheckResult.of(name, False, result.max_score, COULD_NOT_RUN)
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = session.config.getoption("--tfgrader-out")
    checks = [replace(result, figure=figures.taken(name)) if figures.taken(name) else result
              for name, result in _results.items()]
    if out:
        Results(checks).write(Path(out))


def student_message(exc: BaseException) -> str:
    """The part of a failure a student should read."""
    if isinstance(exc, (AssertionError, StudentError)):
        # pytest appends its own explanation ("assert ...") to assertion
        # messages; it quotes grader code, so it is cut off.
        message = str(exc).split("\nassert ")[0].strip()
        if message and not message.startswith("assert "):
            return message
        return DID_NOT_PASS
    detail = wire.one_line(exc, 200)
    if isinstance(exc, DatasetUnavailable):
        return f"The grader could not load its copy of the data; please tell your instructor ({detail})."
    return f"The grader hit an error while checking this ({detail}). Check the cell that defines what this check uses."

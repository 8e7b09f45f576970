"""Tests for the clean grading process (tfgrader.grading + tfgrader.grading.plugin), the
static reading of grader modules (tfgrader.wire.declarations), on a toy grader module
without notebooks.

The toy grader runs once in a real, sandboxed grading process (TensorFlow
included), as autograding runs it; the broken grader runs unconfined through
``python -I -m tfgrader.grading``. Failures of the grading process itself are
in test_verdict.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

keras = pytest.importorskip("keras")

from tfgrader.instructor.confine import verdict  # noqa: E402
from tfgrader.data import DatasetUnavailable  # noqa: E402
from tfgrader.wire.declarations import declared_checks, requested  # noqa: E402
from tfgrader.student.exports import export_all  # noqa: E402
from tfgrader.grading.plugin import student_message  # noqa: E402
from tfgrader.grading.submission import StudentError  # noqa: E402

TOY_GRADER = textwrap.dedent('''
    import pytest

    from tfgrader.grading import figures
    from tfgrader.grading.plugin import check
    from tfgrader.grading.submission import StudentError

    EXPORTS = {"answer": "value", "model": "model"}


    @pytest.fixture
    def notes():
        raise StudentError("Your `notes` could not be read: write them as a string.")


    @check(points=1)
    def test_passes(submission):
        assert submission.value("answer") == 1, "`answer` should be 1."
        assert submission.model("model").count_params() == 9, "The model should have 9 weights."


    @check(points=2)
    def test_fails_with_message(submission):
        figures.learning({"accuracy": [0.5, 0.7]}, 0.6, 0.8)
        assert submission.value("answer") == 3, "Your `answer` is off: count the cells again."


    @check(points=3)
    def test_bare_assert(submission):
        hidden_reference_value = submission.value("answer")
        assert hidden_reference_value == 2


    @check(points=4)
    def test_student_error(notes):
        pass


    @check(points=5)
    def test_grader_error(submission):
        {}["secret_lookup_key"]


    def test_not_a_check():
        pass
''')
TOY_CHECKS = {"passes": 1, "fails_with_message": 2, "bare_assert": 3, "student_error": 4, "grader_error": 5}
BROKEN_GRADER = textwrap.dedent('''
    from tfgrader.grading.plugin import check
    import tfgrader_no_such_module

    EXPORTS = {"answer": "value"}


    @check(points=2)
    def test_first(submission):
        pass


    @check(points=5)
    def test_second(submission):
        pass
''')
GENERIC = "This check did not pass."


def toy_namespace() -> dict:
    return {"answer": 1, "model": keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])}


def run_grade(module: Path, export_dir: Path, out: Path) -> dict:
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, "-I", "-m", "tfgrader.grading", str(module), str(export_dir),
                           "--out", str(out)], cwd=export_dir, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def toy_module(tmp_path_factory) -> Path:
    module = tmp_path_factory.mktemp("graders") / "test_toy.py"
    module.write_text(TOY_GRADER)
    return module


@pytest.fixture(scope="module")
def toy_graded(toy_module, tmp_path_factory):
    export_dir = tmp_path_factory.mktemp("exports")
    manifest = export_all(requested(toy_module), toy_namespace(), export_dir)
    assert all("file" in entry for entry in manifest.values()), manifest
    return verdict.grade(toy_module, export_dir)  # in the sandbox, as autograding does (a wire.Results)


@pytest.fixture(scope="module")
def toy_results(toy_graded) -> dict:
    """The results in their JSON form, as results.json holds them."""
    return toy_graded.to_json()


def test_grade_passed_flags_and_points(toy_results):
    """Does the grading process report every check, and only checks, with its points and outcome?"""
    checks = toy_results["checks"]
    assert {name: c["points"] for name, c in checks.items()} == TOY_CHECKS
    assert {name: c["passed"] for name, c in checks.items()} == {
        "passes": True, "fails_with_message": False, "bare_assert": False, "student_error": False,
        "grader_error": False}
    assert checks["passes"]["message"] == ""
    assert toy_results["duration_s"] > 0 and toy_results["sandbox"] is True


def test_a_check_shows_its_plot_and_nothing_else_does(toy_results, toy_graded):
    """Does the plot a check draws cross as a PNG with that check only, and reach its cell as an image?"""
    import base64

    from tfgrader.instructor.preprocessors.verdict import verdict_outputs
    from tfgrader.wire.results import PNG_SIGNATURE

    checks = toy_results["checks"]
    assert [name for name, c in checks.items() if "figure" in c] == ["fails_with_message"]
    assert base64.b64decode(checks["fails_with_message"]["figure"]).startswith(PNG_SIGNATURE)
    error, image = verdict_outputs("fails_with_message", toy_graded)
    assert error.output_type == "error" and image.data["image/png"] == checks["fails_with_message"]["figure"]
    assert len(verdict_outputs("passes", toy_graded)) == 1


@pytest.mark.parametrize("figure", ["not base64 at all!", "aGVsbG8=", "iVBORw0KGgo" + "A" * 400_000, 42])
def test_a_plot_that_is_not_a_small_png_is_dropped(figure, tmp_path):
    """Are results whose plot is not base64, not a PNG, too large or not text kept without the plot?"""
    from tfgrader import wire

    path = tmp_path / "results.json"
    path.write_text(json.dumps({"checks": {"a": {"passed": True, "points": 1, "message": "", "figure": figure}}}))
    assert wire.Results.read(path, {"a": 1}, "missing").to_json()["checks"]["a"] == {
        "passed": True, "points": 1, "message": ""}


def test_grade_student_messages(toy_results):
    """Does the student read the assertion message or the StudentError, and nothing more?"""
    checks = toy_results["checks"]
    assert checks["fails_with_message"]["message"] == "Your `answer` is off: count the cells again."
    assert checks["student_error"]["message"] == "Your `notes` could not be read: write them as a string."
    assert checks["grader_error"]["message"].startswith(
        "The grader hit an error while checking this (KeyError: 'secret_lookup_key').")


def test_grade_bare_assert_leaks_nothing(toy_results):
    """Does a bare assert give the generic message, without grader source text?"""
    message = toy_results["checks"]["bare_assert"]["message"]
    assert message == GENERIC
    for leak in ("assert", "hidden_reference_value", "== 2", "test_toy"):
        assert leak not in json.dumps(toy_results["checks"]["bare_assert"])


def test_grade_broken_module(tmp_path):
    """Does a grader module that fails at import still give a failed result for each declared check?"""
    module = tmp_path / "test_broken.py"
    module.write_text(BROKEN_GRADER)
    export_dir = tmp_path / "exports"
    export_dir.mkdir()
    export_all(requested(module), {"answer": 1}, export_dir)
    results = run_grade(module, export_dir, tmp_path / "results.json")
    assert {name: (c["passed"], c["points"]) for name, c in results["checks"].items()} == {
        "first": (False, 2), "second": (False, 5)}
    for result in results["checks"].values():
        assert "grader failed to start" in result["message"]
        assert "tfgrader_no_such_module" not in result["message"]


def test_declared_checks_and_requested(toy_module):
    """Are a grader module's checks (in order, with points) and EXPORTS read without importing it?"""
    assert list(declared_checks(toy_module).items()) == list(TOY_CHECKS.items())
    assert requested(toy_module) == {"answer": "value", "model": "model"}


def test_declared_checks_of_broken_module(tmp_path):
    """Can a module whose imports fail still be read, and one without EXPORTS give none?"""
    module = tmp_path / "test_broken.py"
    module.write_text(BROKEN_GRADER)
    assert declared_checks(module) == {"first": 2, "second": 5}
    module.write_text("def test_plain():\n    pass\n")
    assert requested(module) == {} and declared_checks(module) == {}


def test_declared_checks_positional_points(tmp_path):
    """Is a check declared as @check(3), which the plugin accepts, read with its points?"""
    module = tmp_path / "test_positional.py"
    module.write_text("from tfgrader.grading.plugin import check\n\n@check(3)\ndef test_a(submission):\n    pass\n")
    assert declared_checks(module) == {"a": 3}


@pytest.mark.parametrize("exc, expected", [
    (AssertionError("Use 10 units.\nassert 5 == 10\n +  where 5 = units"), "Use 10 units."),
    (AssertionError("Two lines\nof advice.\nassert False"), "Two lines\nof advice."),
    (AssertionError("assert 5 == 10\n +  where 5 = secret_units"), GENERIC),
    (AssertionError(), GENERIC),
    (StudentError("`model` is not defined."), "`model` is not defined."),
])
def test_student_message(exc, expected):
    """Is pytest's appended "assert ..." explanation cut from a failure message?"""
    assert student_message(exc) == expected


def test_student_message_other_error():
    """Is any other exception named in one short line, and missing data blamed on the grader?"""
    message = student_message(ZeroDivisionError("division by zero"))
    assert message.startswith("The grader hit an error while checking this (ZeroDivisionError: division by zero).")
    assert "Traceback" not in message and len(student_message(ValueError("x" * 5000))) < 400
    missing = student_message(DatasetUnavailable("mnist.npz", ["cache: missing"]))
    assert missing.startswith("The grader could not load its copy of the data; please tell your instructor")

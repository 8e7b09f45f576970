"""``tfgrader gradescope ID``: the autograder zip, unpacked into a root laid out as Gradescope's
``/autograder`` and run there on the tiny course's right and wrong notebooks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import pytest

from tfgrader.instructor import cli
from tfgrader.instructor.course import CourseLayout
from tfgrader.instructor.outputs import gradescope, report

pytestmark = pytest.mark.slow
A = "tiny"
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "gradescope_results.json").read_text())


def solution_lines(notebook: Path) -> list[str]:
    """The lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` of a source notebook."""
    lines = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S):
            lines += [line.strip() for line in region.splitlines() if line.strip()]
    return lines


@pytest.fixture(scope="module")
def autograder(graded_tiny, tmp_path_factory):
    """The zip of the graded tiny course's assignment, unpacked as Gradescope does into ROOT/source."""
    root = tmp_path_factory.mktemp("gradescope") / "autograder"
    out = root.parent / "autograder.zip"
    assert cli.main(["--course", str(graded_tiny), "gradescope", A, "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        archive.extractall(root / "source")
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    for name in ("setup.sh", "run_autograder"):  # zipfile does not restore modes; Gradescope does
        assert modes[name] & 0o111
        (root / "source" / name).chmod(0o755)
    return root


def run_autograder(root: Path, notebook: Path) -> dict:
    """Submit ``notebook`` and run run_autograder as Gradescope does; return results.json, schema-checked."""
    submission = root / "submission"
    submission.mkdir(exist_ok=True)
    for old in submission.iterdir():
        old.unlink()
    (submission / f"{A}.ipynb").write_bytes(notebook.read_bytes())
    env = {**os.environ, gradescope.ROOT_ENV: str(root), "TFGRADER_PYTHON": sys.executable}
    subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, check=True, timeout=300)
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    return results


def test_zip_holds_the_grader_and_release_but_no_solution(graded_tiny, autograder):
    """Does the zip hold runnable scripts, this assignment's grader, release and gradebook, and not one line
    of the solution nor another grader?"""
    source = autograder / "source"
    for script in ("setup.sh", "run_autograder"):
        subprocess.run(["bash", "-n", str(source / script)], check=True)
    assert "requirements.lock" in (source / "setup.sh").read_text()
    assert sorted(p.name for p in (source / "course" / "graders").iterdir()) == ["test_tiny.py"]
    assert (source / "course" / "release" / A / f"{A}.ipynb").is_file()
    assert json.loads((source / "autograder.json").read_text())["assignment"] == A
    secret = solution_lines(CourseLayout(graded_tiny).source_notebook(A))
    assert "answer = 6 * 7" in secret
    for path in source.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(line.encode() in data for line in secret), path


@pytest.mark.parametrize("student", ["ada", "bob"])
def test_run_autograder_scores_as_nbgrader_did(graded_tiny, autograder, student):
    """Does run_autograder give the right (ada) and the wrong (bob) notebook exactly their gradebook points,
    public checks visible and hidden ones only once published?"""
    expected = {r.student: r for r in report.scores(graded_tiny, A)}[student]
    results = run_autograder(autograder, CourseLayout(graded_tiny).submitted_notebook(student, A))
    assert (results["score"], results["max_score"]) == (expected.score, expected.max_score)
    assert [(t["name"], t["score"], t["visibility"]) for t in results["tests"]] == [
        (c.name, c.score, "visible" if c.name == "answer" else "after_published") for c in expected.checks]
    assert {t["name"]: t["output"] for t in results["tests"] if t["score"] < t["max_score"]} == expected.failed


def test_without_the_sandbox_nothing_is_graded_unless_allowed(graded_tiny, autograder, monkeypatch):
    """Where the container cannot run bubblewrap, does the result say so and score nothing, and grade
    without the sandbox (saying so) only when the autograder was built to?"""
    from tfgrader.instructor.confine import sandbox

    for name in ("TFGRADER_SANDBOX", "TFGRADER_NO_DOWNLOAD", "TFGRADER_DATA_DIR"):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # restored after run() sets them
    monkeypatch.delenv("TFGRADER_SANDBOX")
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    monkeypatch.setattr(sandbox, "_checked", {})
    submission = autograder / "submission"
    submission.mkdir(exist_ok=True)
    (submission / f"{A}.ipynb").write_bytes(CourseLayout(graded_tiny).submitted_notebook("ada", A).read_bytes())
    settings = autograder / "source" / gradescope.SETTINGS
    original = settings.read_text()
    try:
        assert gradescope.run(autograder) == 0
        refused = json.loads((autograder / "results" / "results.json").read_text())
        settings.write_text(json.dumps({**json.loads(original), "unsandboxed_fallback": True}))
        assert gradescope.run(autograder) == 0
        allowed = json.loads((autograder / "results" / "results.json").read_text())
    finally:
        settings.write_text(original)
    jsonschema.validate(refused, SCHEMA)
    assert refused["score"] == 0 and refused["output"].startswith("Not graded: the sandbox cannot run")
    assert "--unsandboxed-fallback" in refused["output"]
    assert allowed["score"] == allowed["max_score"] == 3
    assert allowed["output"].startswith("Graded WITHOUT the sandbox")


def test_each_assignment_brings_its_own_datasets(course):
    """Does each real assignment ask for the dataset files of the loaders it calls, all known to the data layer?"""
    from tfgrader.data.sources import _FILES

    assert {name for files in gradescope.DATA_FILES.values() for name in files} == set(_FILES)
    assert gradescope.loaders(course, "02-basic_classification") == ["fashion_mnist"]
    assert gradescope.loaders(course, "03-basic_text_classification") == ["imdb", "imdb_word_index"]
    assert gradescope.loaders(course, "04-basic_regression") == ["auto_mpg"]

"""Tests for the trusted side of grading (tfgrader.instructor.confine.verdict and
tfgrader.instructor.confine): the export folder read as hostile input, the
grading process's confinement, and how its failures reach the student.

Grader modules here are tiny and need no TensorFlow.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from tfgrader import wire
from tfgrader.instructor.confine import sandbox, verdict

PROBE_GRADER = textwrap.dedent('''
    import os
    import socket

    from tfgrader.grading.plugin import check

    EXPORTS = {{"answer": "value"}}


    @check(points=1)
    def test_answer(submission):
        assert submission.value("answer") == 42, "`answer` should be 42."


    @check(points=1)
    def test_walls(submission):
        seen = [p for p in {secrets!r} if os.path.exists(p)]
        assert seen == [], f"sees {{seen}}"
        try:
            socket.create_connection(("127.0.0.1", 9), timeout=2)
        except OSError:
            pass
        else:
            raise AssertionError("reached the network")
        try:
            open("/export/written", "w")
        except OSError:
            pass
        else:
            raise AssertionError("could write its input")
''')


def export(folder: Path, **values) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for name, value in values.items():
        (folder / f"{name}.json").write_text(json.dumps(value))
        manifest[name] = {"kind": "value", "file": f"{name}.json"}
    (folder / wire.MANIFEST).write_text(json.dumps(manifest))
    return folder


@pytest.fixture
def probe(tmp_path, course) -> Path:
    module = tmp_path / "graders" / "test_probe.py"
    module.parent.mkdir()
    secrets = [str(course / "graders"), str(course / "source"), str(tmp_path / "graders"), str(Path.home() / ".ssh")]
    module.write_text(PROBE_GRADER.format(secrets=secrets))
    return module


def test_grading_process_is_confined(probe, tmp_path):
    """Does the sandboxed grading process see no course files, reach no network and leave its input unwritten?"""
    results = verdict.grade(probe, export(tmp_path / "export", answer=42)).to_json()
    assert results["sandbox"] is True
    assert {n: (c["passed"], c["message"]) for n, c in results["checks"].items()} == {
        "answer": (True, ""), "walls": (True, "")}


def test_grading_stopped_by_its_time_limit(probe, tmp_path):
    """Is a grading process that runs too long stopped, every check failing with the reason?"""
    results = verdict.grade(probe, export(tmp_path / "export", answer=42), timeout_s=0.5).to_json()
    assert {c["message"] for c in results["checks"].values()} == {
        "Grading was stopped: it ran longer than 0.5 s."}


def test_grading_process_that_cannot_start(probe, tmp_path, monkeypatch):
    """When the grading process cannot even start, does each check say so, without a traceback?"""
    monkeypatch.setattr(sys, "executable", "/bin/false")
    results = verdict.grade(probe, export(tmp_path / "export", answer=42), sandboxed=False).to_json()
    assert {c["message"] for c in results["checks"].values()} == {
        "The grader could not run (no output); please tell your instructor."}
    assert results["sandbox"] is False


def test_safe_copy_keeps_plain_files_only(tmp_path, monkeypatch):
    """Are links, folders, pipes, odd names and oversized files left behind, and nothing read through a link?"""
    monkeypatch.setattr(verdict, "MAX_FILE_BYTES", 1000)
    src = export(tmp_path / "export", answer=42)
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the grader")
    (src / "link.json").symlink_to(secret)
    (src / "folder").mkdir()
    (src / "big.npy").write_bytes(b"0" * 2000)
    (src / "..hidden").write_text("x")
    (src / "name with space.json").write_text("1")
    os.mkfifo(src / "pipe.json")
    dest = tmp_path / "copy"
    skipped = verdict.safe_copy(src, dest)
    assert sorted(p.name for p in dest.iterdir()) == ["answer.json", "manifest.json"]
    assert len(skipped) == 6 and any("too large" in line for line in skipped)


def test_safe_copy_of_a_linked_folder_copies_nothing(tmp_path):
    """Is an export folder that is itself a link treated as empty?"""
    real = export(tmp_path / "real", answer=42)
    (tmp_path / "linked").symlink_to(real)
    verdict.safe_copy(tmp_path / "linked", tmp_path / "copy")
    assert list((tmp_path / "copy").iterdir()) == []


def test_scrub_names_places_instead_of_paths():
    """Are server paths and the grader's file name replaced in a message?"""
    message = f"KeyError at {sys.prefix}/lib/x.py in /srv/course/graders/test_01.py and {Path.home()}/y"
    cleaned = verdict.scrub(message, {"/srv/course/graders/test_01.py": "the grader", "/srv/course": "<course>"})
    assert cleaned == "KeyError at <python>/lib/x.py in the grader and <home>/y"


def test_missing_bubblewrap_says_what_to_install(monkeypatch):
    """Without bubblewrap, does the sandbox refuse with a message that says what to install?"""
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    monkeypatch.setattr(sandbox, "_checked", {})
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        sandbox.require_bwrap()


def test_results_read_keeps_declared_checks_only(tmp_path):
    """Does a results file with extra, malformed or missing checks give exactly the declared ones?"""
    path = tmp_path / wire.RESULTS
    path.write_text(json.dumps({"checks": {"a": {"passed": True, "points": 99, "message": ""},
                                           "b": {"passed": "yes"}, "extra": {"passed": True}},
                                "duration_s": 1.5}))
    results = wire.Results.read(path, {"a": 2, "b": 3, "c": 1}, "missing").to_json()
    assert results == {"checks": {"a": {"passed": True, "points": 2, "message": ""},
                                  "b": {"passed": False, "points": 3, "message": "missing"},
                                  "c": {"passed": False, "points": 1, "message": "missing"}},
                       "duration_s": 1.5}


@pytest.mark.parametrize("exports, error", [
    ({"x": "modle"}, "unknown kind 'modle'"),
    ({"x": {"kind": "array_head", "row": 5}}, "takes no option row"),
    ({"x": {"kind": "calls"}}, "needs 'args'"),
    ({"not a name": "value"}, "is not a Python name"),
])
def test_bad_exports_are_the_instructors_error(exports, error):
    """Is a wrong EXPORTS entry reported as a grader error, naming what is wrong?"""
    with pytest.raises(wire.GraderError, match=error):
        wire.parse_exports(exports)

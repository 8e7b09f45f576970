"""Assignment 06 specifics: actionable messages, and damaged files.

The generic pipeline checks for every assignment are in test_assignments.py.
"""

import json
import shutil

import pytest
from conftest import FULL, assert_says

from tfgrader.instructor.authoring import samples
from tfgrader.instructor.confine import verdict
from tfgrader.instructor.course import CourseLayout
from tfgrader.student.exports import export_all
from tfgrader.wire.declarations import requested

A = "06-save_and_restore_models"
pytestmark = pytest.mark.slow


def test_messages_say_what_to_fix(graded):
    """Do failure messages name the file and say what to change?"""
    assert_says(graded(A).outcomes, [
        ("whole_model_checkpoint", "trained_checkpoint", "save_weights_only=True"),
        ("untrained_checkpoint", "trained_checkpoint", "Pass the ModelCheckpoint callback"),
        ("save_freq_in_epochs", "epoch_checkpoints", "save_freq=5 * steps_per_epoch"),
        ("lexical_latest", "latest_checkpoint", "cp-100.weights.h5"),
        ("optimizer_dropped", "resume_training", "has taken 0 training steps"),
        ("saved_before_training", "saved_model", "'saved_model/my_model.keras'"),
    ])
    assert graded(A).outcomes["reference"].score == 17


@pytest.fixture(scope="module")
def reference_exports(course, datasets_available, tmp_path_factory):
    """The reference notebook run in autograde mode in this process, with its exports kept."""
    workdir = tmp_path_factory.mktemp("reference")
    namespace = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NBGRADER_EXECUTION", "autograde")
        patch.chdir(workdir)
        for cell in samples.reference(course, A).cells:
            if cell.cell_type == "code" and "tfgrader.check(" not in cell.source:
                exec(compile(cell.source, f"<{A}>", "exec"), namespace)  # noqa: S102 - our own reference
    export_dir = workdir / ".tfgrader"
    export_dir.mkdir()
    manifest = export_all(requested(CourseLayout(course).grader(A)), namespace, export_dir, workdir)
    assert all("error" not in entry for entry in manifest.values()), manifest
    return export_dir


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def scramble(path):
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 40)


# The grader's copy that is damaged -> the checks that read it.
DAMAGED = [
    ("checkpoint_path.weights.h5", truncate, {"trained_checkpoint", "restore"}),
    ("checkpoint_path.weights.h5", scramble, {"trained_checkpoint", "restore"}),
    ("saved_model_path.keras", truncate, {"saved_model", "resume_training"}),
    ("saved_model_path.keras", scramble, {"saved_model", "resume_training"}),
    ("checkpoint_dir-2.weights.h5", truncate, {"epoch_checkpoints"}),  # the latest, cp-0010
    ("model.keras", truncate, {"trained_checkpoint", "saved_model", "resume_training"}),
]


def packed(cases: list) -> list[list]:
    """The cases in few gradings: each grading damages files that no other case of it damages, read by
    checks that no other case of it loses (first fit, in order), and must lose the union of their checks."""
    groups: list[list] = []
    for case in cases:
        group = next((g for g in groups if all(c[0] != case[0] and not c[2] & case[2] for c in g)), None)
        if group is None:
            groups.append([case])
        else:
            group.append(case)
    return groups


# The quick run damages up to three files per grading; the full run one.
GROUPS = [[case] for case in DAMAGED] if FULL else packed(DAMAGED)


@pytest.mark.parametrize("group", GROUPS, ids=["+".join(f"{copy}-{damage.__name__}" for copy, damage, _ in group)
                                               for group in GROUPS])
def test_damaged_file_fails_its_checks_with_one_line(course, reference_exports, tmp_path, group):
    """Does a corrupted or truncated file cost exactly the checks that read it, each with a one-line message?"""
    export_dir = shutil.copytree(reference_exports, tmp_path / "exports")
    for copy, damage, _ in group:
        damage(export_dir / copy)
    checks = verdict.grade(CourseLayout(course).grader(A), export_dir).to_json()["checks"]
    failed = {name: check["message"] for name, check in checks.items() if not check["passed"]}
    assert set(failed) == set().union(*(loses for _, _, loses in group)), failed
    for message in failed.values():
        assert "\n" not in message and "Traceback" not in message and "grader hit an error" not in message
        assert "could not load" in message or "not a readable" in message or "do not load" in message, message


def test_reference_exports_pass(course, reference_exports, tmp_path):
    """Do the kept exports of the reference pass every check (so the damage tests start from full points)?"""
    export_dir = shutil.copytree(reference_exports, tmp_path / "exports")
    checks = verdict.grade(CourseLayout(course).grader(A), export_dir).to_json()["checks"]
    assert all(check["passed"] for check in checks.values()), json.dumps(checks, indent=1)

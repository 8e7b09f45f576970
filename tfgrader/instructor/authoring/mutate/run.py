"""Grade the mutants and rewrites through the real pipeline, in a batch that resumes.

The batch lives in a folder of its own (by default ``mutation/<id>/`` in the
course): a copy of the course with its own SQLite gradebook, where each
mutant is a student. Every grading is stamped with what it graded
(:mod:`tfgrader.instructor.batch.stamps`), so a run that is stopped and
started again grades only what is left, and a grader that changed is graded
again in full.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

from tfgrader.instructor.authoring import samples
from tfgrader.instructor.authoring.mutate import ACCEPTED, EQUIVALENT, REWRITE, Mutant, equivalents
from tfgrader.instructor.authoring.public import generate
from tfgrader.instructor.batch import stamps
from tfgrader.instructor.batch.schedule import Run, autograde_all
from tfgrader.instructor.course import COURSE_FILES, CourseLayout, copy_course
from tfgrader.wire import Results
from tfgrader.wire.declarations import declared_checks

REFERENCE = "reference"
PREPARED = "prepared.sha256"  # what the batch's copy of the course was made from
# What each grading may end as.
KILLED, SURVIVED, BROKEN, TIMEOUT = "killed", "survived", "broken", "timeout"
KEPT, REJECTED = "kept", "false rejection"


@dataclass
class Graded:
    """One mutant or rewrite, and what grading made of it."""

    mutant: Mutant
    outcome: str
    lost: dict[str, str] = field(default_factory=dict)  # check -> message
    score: float = 0.0
    max_score: float = 0.0
    seconds: float | None = None
    reason: str = ""  # why it is equivalent, or what broke


def workdir(course: Path, assignment: str) -> Path:
    return course / "mutation" / assignment


def prepare(course: Path, assignment: str, folder: Path) -> Path:
    """``folder`` as a copy of the course's current graders and sources, with a gradebook of its own;
    left as it is when it was made from the same files (a resumed run)."""
    digest = _digest(course)
    made = folder / PREPARED
    if made.exists() and made.read_text() == digest and CourseLayout(folder).release_notebook(assignment).exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for name in COURSE_FILES:  # the course as it is now, not as it was at the last run
        target = folder / name
        if target.is_dir():
            shutil.rmtree(target)
    copy_course(course, folder)
    with CourseLayout(folder).config.open("a") as config:
        config.write(f"\n# tfgrader mutate: the mutants' own gradebook\n"
                     f"c.CourseDirectory.db_url = 'sqlite:///{(folder / 'gradebook.db').resolve()}'\n")
    generate(folder, assignment)
    made.write_text(digest)
    return folder


# Files beside the graders that grading never reads: recording an equivalent or saving a sample
# does not make a resumed run copy the course again.
NOT_GRADING = ("samples_*.py", "tutorials_*.py", "mutants_*.py", "equivalent_*.toml")


def _digest(course: Path) -> str:
    """The sha256 of what grading reads of the course: its sources, graders and configuration."""
    digest = hashlib.sha256()
    for name in COURSE_FILES:
        root = course / name
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.is_file() and "__pycache__" not in path.parts and not any(
                    path.match(pattern) for pattern in NOT_GRADING):
                digest.update(f"{path.relative_to(course)}\0".encode() + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def grade(course: Path, assignment: str, mutants: list[Mutant], folder: Path | None = None,
          workers: int | None = None, on_done: Callable[[Run], None] | None = None) -> tuple[Graded, list[Graded]]:
    """Grade the reference and ``mutants`` (those graded already on the same grader are kept);
    return the reference's grading and each mutant's."""
    folder = prepare(course, assignment, folder or workdir(course, assignment))
    reference = samples.reference(folder, assignment)
    _submit(folder, assignment, REFERENCE, reference)
    for mutant in mutants:
        _submit(folder, assignment, mutant.name, mutant.notebook(reference))
    names = [REFERENCE] + [m.name for m in mutants]
    runs = {run.student: run for run in autograde_all(folder, assignment, names=names, workers=workers,
                                                      on_done=on_done)}
    recorded, accepted = equivalents(course, assignment), equivalents(course, assignment, ACCEPTED)
    checks = declared_checks(CourseLayout(folder).grader(assignment))
    base = Mutant(REFERENCE, REWRITE, REFERENCE, REFERENCE, "", "the reference solution", "", "")
    return (classify(folder, assignment, base, runs[REFERENCE], checks, {}),
            [classify(folder, assignment, m, runs[m.name], checks, recorded, accepted) for m in mutants])


def _submit(folder: Path, assignment: str, student: str, nb: nbformat.NotebookNode) -> None:
    """Write the submission, unless the same one is there (so that its stamp still holds)."""
    path = CourseLayout(folder).submitted_notebook(student, assignment)
    text = nbformat.writes(nb)
    if not path.exists() or path.read_text() != text:
        samples.submit(folder, assignment, student, nb)


def classify(folder: Path, assignment: str, mutant: Mutant, run: Run, checks: dict,
             recorded: dict[str, str], accepted: dict[str, str] | None = None) -> Graded:
    """What grading made of ``mutant``; ``recorded``: the equivalent mutants, ``accepted``: the accepted
    survivors (each name -> the instructor's reason)."""
    layout = CourseLayout(folder)
    results = Results.load(layout.results(mutant.name, assignment))
    stamp = stamps.read(folder, assignment, mutant.name) or {}
    seconds = stamp.get("seconds") if run.skipped else run.seconds or None
    if results is None:
        outcome = TIMEOUT if "stopped after" in run.error else BROKEN
        return Graded(mutant, outcome, {c: run.error for c in checks}, 0.0, float(sum(checks.values())), seconds,
                      run.error or "not graded")
    lost = {c.name: c.message for c in results.checks if not c.passed}
    graded = Graded(mutant, "", lost, results.score, results.max_score, seconds)
    raised = _raised(layout.autograded(mutant.name, assignment) / f"{assignment}.ipynb") if lost else ""
    if mutant.kind == REWRITE:
        # a rewrite whose own code raised is not valid in this notebook: no fault of the graders
        graded.outcome, graded.reason = (BROKEN, raised) if raised else (REJECTED if lost else KEPT, "")
    elif results.stopped and "longer than" in results.stopped:
        graded.outcome, graded.reason = TIMEOUT, results.stopped
    elif not lost:
        graded.outcome, graded.reason = ((EQUIVALENT, recorded[mutant.name]) if mutant.name in recorded
                                         else (SURVIVED, (accepted or {}).get(mutant.name, "")))
    elif len(lost) == len(results.checks) and raised:
        graded.outcome, graded.reason = BROKEN, raised
    else:
        graded.outcome = KILLED
    return graded


def _raised(notebook: Path) -> str:
    """The first error the student's code raised in the graded notebook ("" if none)."""
    try:
        nb = nbformat.read(notebook, as_version=4)
    except (OSError, ValueError):
        return ""
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("grade"):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return f"{output.get('ename')}: {output.get('evalue')}"[:300]
    return ""

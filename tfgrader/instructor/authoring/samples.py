"""Sample submissions: the reference solution, the untouched release copy,
and wrong variants ("mutants") that each must lose known checks.

Each assignment's mutants live beside its graders, in
``graders/samples_<id>.py``, as a list of :class:`Sample`. A sample edits the
reference solution cell by cell (found by nbgrader ``grade_id``, never by
position), so each mutant reads as a small diff.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from tfgrader.instructor.course import CourseLayout

# ``old`` of an edit that replaces the whole cell.
WHOLE_CELL = None

# Joins the names of the samples that one combined submission carries (see :func:`merge`).
JOINED = "__"

_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


@dataclass(frozen=True)
class Sample:
    """A submission made from the reference by replacing text in solution cells.

    Attributes:
        name: student id used for it, e.g. ``"wrong_units"``.
        about: what is wrong, in a few words.
        edits: ``(grade_id, old, new)`` text replacements; ``old`` must occur,
            or be :data:`WHOLE_CELL` to replace the cell's whole source (as a
            student who pastes a tutorial's code over the cell does).
        loses: the checks it must fail; every other check must pass (empty for a
            correct variant the contract accepts).
        apart: samples never graded in one submission with this one (see
            :func:`combined`): their fault hides this one's, or this one's theirs.
    """

    name: str
    about: str
    edits: tuple[tuple[str, str | None, str], ...] = ()
    loses: frozenset[str] = field(default_factory=frozenset)
    apart: frozenset[str] = field(default_factory=frozenset)


def reference(course: Path, assignment: str) -> nbformat.NotebookNode:
    """The release notebook with every solution cell filled from ``source/``."""
    solutions = {
        cell.metadata["nbgrader"]["grade_id"]: strip_markers(cell.source)
        for cell in _read(CourseLayout(course).source_notebook(assignment)).cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }
    nb = release(course, assignment)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell.source = solutions[grade_id]
    return nb


def strip_markers(source: str) -> str:
    """A solution cell's source without its ``### BEGIN/END SOLUTION`` lines."""
    return _MARKERS.sub("", source)


def release(course: Path, assignment: str) -> nbformat.NotebookNode:
    return _read(CourseLayout(course).release_notebook(assignment))


def apply(nb: nbformat.NotebookNode, sample: Sample) -> nbformat.NotebookNode:
    """A copy of ``nb`` with ``sample``'s edits made."""
    nb = nbformat.from_dict(nb)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    for grade_id, old, new in sample.edits:
        cell = cells[grade_id]
        if old is WHOLE_CELL:
            cell.source = new
            continue
        if old not in cell.source:
            raise ValueError(f"sample {sample.name}: {old!r} is not in cell {grade_id!r}")
        cell.source = cell.source.replace(old, new)
    return nb


def samples(course: Path, assignment: str) -> list[Sample]:
    """The samples declared beside the graders: the wrong submissions and
    accepted variants of ``graders/samples_<id>.py`` (``SAMPLES``), then the
    official tutorials' code as students paste it, from
    ``graders/tutorials_<id>.py`` (``TUTORIAL_SAMPLES``) when there is one."""
    layout = CourseLayout(course)
    found = list(load_beside_graders(layout.samples(assignment)).SAMPLES)
    tutorials = layout.tutorials(assignment)
    if tutorials.exists():
        found += load_beside_graders(tutorials).TUTORIAL_SAMPLES
    return found


def covering(found: list[Sample], checks: set[str] | frozenset[str]) -> list[Sample]:
    """Few wrong samples that together fail every one of ``checks``: each next
    one is the sample that fails the most checks not failed yet (the first
    such, in order). The project's quick test run grades these; the full run
    grades every sample."""
    chosen, left = [], set(checks)
    while left:
        best = max(found, key=lambda sample: len(sample.loses & left))
        if not best.loses & left:
            break  # no sample fails the rest: the caller's test says which
        chosen.append(best)
        left -= best.loses
    return [sample for sample in found if sample in chosen]


def combined(found: list[Sample], most: int = 3) -> list[Sample]:
    """``found``'s samples packed into fewer submissions: each carries the
    faults of up to ``most`` samples that edit different cells and lose
    different checks, and must lose exactly the union of their checks.

    Packing is first fit, in order, so it gives the same submissions on every
    run. A combined submission tests that faults add up, but it can hide a
    fault's false failure of a check that its partner fails anyway: the full
    test run grades every sample alone.
    """
    groups: list[list[Sample]] = []
    for sample in found:
        group = next((g for g in groups if len(g) < most and all(_may_share(sample, other) for other in g)), None)
        if group is None:
            groups.append([sample])
        else:
            group.append(sample)
    return [group[0] if len(group) == 1 else merge(group) for group in groups]


def merge(group: list[Sample]) -> Sample:
    """One submission with the edits of every sample of ``group``."""
    return Sample(JOINED.join(s.name for s in group), "; ".join(s.about for s in group),
                  tuple(edit for s in group for edit in s.edits), frozenset().union(*(s.loses for s in group)))


def carried(name: str) -> list[str]:
    """The names of the samples whose faults the submission ``name`` carries
    (one, unless :func:`merge` made it)."""
    return name.split(JOINED)


def _may_share(one: Sample, other: Sample) -> bool:
    """May ``one`` and ``other`` share a submission? Only wrong samples that edit different cells, lose
    different checks and are not declared ``apart``."""
    cells = {grade_id for grade_id, _, _ in one.edits}
    return (bool(one.loses) and bool(other.loses) and not one.loses & other.loses
            and not cells & {grade_id for grade_id, _, _ in other.edits}
            and one.name not in other.apart and other.name not in one.apart)


def load_beside_graders(path: Path):
    """Import a samples file; it may import its neighbours in graders/ (a
    tutorials file reuses the reference texts of its samples file)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def submit(course: Path, assignment: str, student: str, nb: nbformat.NotebookNode) -> Path:
    """Place ``nb`` where nbgrader looks for ``student``'s submission."""
    path = CourseLayout(course).submitted_notebook(student, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)

"""Graders that prove themselves: ``tfgrader mutate ID``.

Machine-made wrong solutions (mutants) and valid rewrites of an assignment's
reference, each one small edit of a solution cell's syntax tree
(:mod:`~tfgrader.instructor.authoring.mutate.operators`,
:mod:`~tfgrader.instructor.authoring.mutate.rewrites`), graded through the real
pipeline (:mod:`~tfgrader.instructor.authoring.mutate.run`) and reported
(:mod:`~tfgrader.instructor.authoring.mutate.report`). A mutant the graders
give full points is a gap in them, unless the instructor records it as
equivalent; a rewrite that loses points is a false rejection.

Edits are made only inside a solution cell's ``### BEGIN SOLUTION`` ...
``### END SOLUTION`` region: the code a student writes. An assignment may add
operators and rewrites of its own in ``graders/mutants_<id>.py``::

    MUTATIONS = {"name": ("group", operator)}   # operator(tree, names) -> Edits
    REWRITES = {"name": ("class of rewrite", rewrite)}
    SKIP = {("functional_to_sequential", "build_functional_model"): "the assignment asks for the functional API"}

and record survivors that the contract allows in ``graders/equivalent_<id>.toml``
(and, apart, survivors the graders cannot catch and why that is acceptable)::

    [[equivalent]]
    mutant = "m_build_model_units_2"
    reason = "why this is valid work"

    [[accepted]]
    mutant = "m_train_train_test_swap_1"
    reason = "why no check can tell it apart, measured"
"""

from __future__ import annotations

import difflib
import random
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
import nbformat

from tfgrader.instructor.authoring import samples
from tfgrader.instructor.authoring.mutate.operators import MUTATIONS
from tfgrader.instructor.authoring.mutate.rewrites import REWRITES
from tfgrader.instructor.authoring.mutate.syntax import edited, nodes, parse
from tfgrader.instructor.course import CourseLayout

MUTANT, REWRITE = "mutant", "rewrite"
_REGION = re.compile(r"^[ \t]*### BEGIN SOLUTION[ \t]*$(.*?)^[ \t]*### END SOLUTION[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Mutant:
    """One edit of the reference: a mutant (must lose points) or a rewrite (must keep them).

    Attributes:
        name: the student id it is graded under, stable from run to run:
            ``m_<cell>_<operator>_<n>`` or ``r_<cell>_<rewrite>_<n>``.
        group: the operator's group (layers, compile, data, training), or the rewrite's class.
        cell: the solution cell's nbgrader ``grade_id``.
        before, after: the cell's source, as a student sees it, without and with the edit.
    """

    name: str
    kind: str
    operator: str
    group: str
    cell: str
    detail: str
    before: str
    after: str

    @property
    def diff(self) -> str:
        return "".join(difflib.unified_diff(self.before.splitlines(True), self.after.splitlines(True),
                                            f"{self.cell} (reference)", f"{self.cell} ({self.name})", n=1))

    def notebook(self, reference: nbformat.NotebookNode) -> nbformat.NotebookNode:
        return samples.apply(reference, samples.Sample(self.name, self.detail, ((self.cell, samples.WHOLE_CELL,
                                                                                  self.after),)))

    def sample(self, loses: frozenset[str]) -> samples.Sample:
        """This mutant as a hand-written sample: the smallest text edit, and the checks it loses."""
        before, after = self.before.splitlines(True), self.after.splitlines(True)
        head = 0
        while head < min(len(before), len(after)) and before[head] == after[head]:
            head += 1
        tail = 0
        while tail < min(len(before), len(after)) - head and before[-1 - tail] == after[-1 - tail]:
            tail += 1
        start, end = head, len(before) - tail
        while True:  # widen until the old text occurs once in the cell
            old = "".join(before[start:end])
            if old and self.before.count(old) == 1 or (start == 0 and end == len(before)):
                break
            start, end = max(0, start - 1), min(len(before), end + 1)
        new = "".join(after[start:len(after) - (len(before) - end)])
        return samples.Sample(self.name, self.detail, ((self.cell, old or samples.WHOLE_CELL, new),), loses)


@dataclass(frozen=True)
class Extension:
    """What ``graders/mutants_<id>.py`` adds: its own operators and rewrites, and what is skipped where."""

    mutations: dict
    rewrites: dict
    skip: dict

    @classmethod
    def of(cls, course: Path, assignment: str) -> Extension:
        path = CourseLayout(course).mutants(assignment)
        if not path.exists():
            return cls({}, {}, {})
        module = samples.load_beside_graders(path)
        return cls(dict(getattr(module, "MUTATIONS", {})), dict(getattr(module, "REWRITES", {})),
                   dict(getattr(module, "SKIP", {})))


def solution_cells(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """``(grade_id, source with its solution markers)`` of each solution cell of the source notebook."""
    return [(cell.metadata["nbgrader"]["grade_id"], cell.source) for cell in notebook.cells
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution")]


def candidates(course: Path, assignment: str) -> list[Mutant]:
    """Every mutant and rewrite of the reference the operators can make, in a stable order."""
    extension = Extension.of(course, assignment)
    notebook = nbformat.read(CourseLayout(course).source_notebook(assignment), as_version=4)
    names = frozenset(name.value for cell in notebook.cells if cell.cell_type == "code"
                      for tree in [parse(cell.source)] if tree is not None for name in nodes(tree, cst.Name))
    found, seen = [], set()
    for cell, source in solution_cells(notebook):
        tree = parse(source)
        if tree is None:
            continue
        regions, positions = _regions(source), _positions(tree)
        before = samples.strip_markers(source)
        for kind, prefix, operators in ((MUTANT, "m", {**MUTATIONS, **extension.mutations}),
                                        (REWRITE, "r", {**REWRITES, **extension.rewrites})):
            for operator, (group, make) in operators.items():
                if (operator, cell) in extension.skip:
                    continue
                count = 0
                for edit in make(tree, names):
                    if not _inside(positions, edit.at or edit.old, regions):
                        continue
                    after = samples.strip_markers(edited(tree, edit))
                    if after == before or (cell, after) in seen:
                        continue
                    seen.add((cell, after))
                    count += 1
                    found.append(Mutant(f"{prefix}_{cell}_{operator}_{count}", kind, operator, group, cell,
                                        edit.detail, before, after))
    return found


def choose(found: list[Mutant], kind: str, most: int | None, seed: str) -> list[Mutant]:
    """Up to ``most`` of ``found``'s ``kind``, spread over the operators: each operator's own in an order
    shuffled by ``seed`` (the assignment), then one of each operator in turn. The same on every run."""
    by_operator: dict[str, list[Mutant]] = {}
    for mutant in found:
        if mutant.kind == kind:
            by_operator.setdefault(mutant.operator, []).append(mutant)
    for operator, mutants in by_operator.items():
        random.Random(f"{seed}:{operator}").shuffle(mutants)
    chosen: list[Mutant] = []
    while any(by_operator.values()) and (most is None or len(chosen) < most):
        for mutants in by_operator.values():
            if mutants and (most is None or len(chosen) < most):
                chosen.append(mutants.pop(0))
    return chosen


EQUIVALENT, ACCEPTED = "equivalent", "accepted"


def equivalents(course: Path, assignment: str, table: str = EQUIVALENT) -> dict[str, str]:
    """What the instructor recorded in ``graders/equivalent_<id>.toml``, name -> reason:
    ``[[equivalent]]``, survivors that are valid work (left out of the score), or with
    ``table="accepted"``, ``[[accepted]]``, survivors the graders cannot tell from valid work, and why
    that is acceptable (still counted as survivors)."""
    path = CourseLayout(course).equivalent(assignment)
    if not path.exists():
        return {}
    recorded = {}
    for entry in tomllib.loads(path.read_text()).get(table, []):
        if not isinstance(entry, dict) or not entry.get("mutant") or not str(entry.get("reason", "")).strip():
            raise ValueError(f"{path}: each [[{table}]] needs a mutant and a reason")
        recorded[str(entry["mutant"])] = str(entry["reason"]).strip()
    return recorded


def _regions(source: str) -> list[tuple[int, int]]:
    """The line ranges (1-based, inclusive) between the solution markers."""
    regions = []
    for match in _REGION.finditer(source):
        first = source.count("\n", 0, match.start(1)) + 1
        regions.append((first, source.count("\n", 0, match.end(1)) + 1))
    return regions


def _positions(tree: cst.Module):
    from libcst.metadata import MetadataWrapper, PositionProvider

    return MetadataWrapper(tree, unsafe_skip_copy=True).resolve(PositionProvider)


def _inside(positions, node: cst.CSTNode, regions: list[tuple[int, int]]) -> bool:
    where = positions.get(node)
    return where is not None and any(a <= where.start.line and where.end.line <= b for a, b in regions)

"""The mutation report: in the terminal, as JSON and as an HTML page beside the
class report (``reports/<id>/mutation.html`` and ``mutation.json``).

The mutation score is killed / (killed + survived): broken mutants (the
notebook failed before anything could be graded), mutants that ran out of
time and equivalent ones are counted apart. For the valid rewrites it counts
the false rejections, per class of rewrite and per check.
"""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from pathlib import Path

import libcst as cst

from tfgrader.instructor.authoring import samples as samples_module
from tfgrader.instructor.authoring.mutate import MUTANT, REWRITE
from tfgrader.instructor.authoring.mutate.syntax import with_element_after
from tfgrader.instructor.authoring.mutate.run import (
    BROKEN, EQUIVALENT, KILLED, REJECTED, SURVIVED, TIMEOUT, Graded)
from tfgrader.instructor.course import CourseLayout
from tfgrader.instructor.outputs.class_report import page, table

OUTCOMES = (KILLED, SURVIVED, BROKEN, TIMEOUT, EQUIVALENT)


def score(killed: int, survived: int) -> float | None:
    return killed / (killed + survived) if killed + survived else None


def summary(assignment: str, reference: Graded, graded: list[Graded], covered: list[frozenset[str]],
            seconds: float) -> dict:
    """Everything the report shows, as JSON-ready data. ``covered``: the check sets the hand-written
    samples lose (a killed mutant losing another set is one they do not cover)."""
    mutants = [g for g in graded if g.mutant.kind == MUTANT]
    rewrites = [g for g in graded if g.mutant.kind == REWRITE]
    counts = Counter(g.outcome for g in mutants)
    by_operator: dict[str, Counter] = defaultdict(Counter)
    for g in mutants:
        by_operator[g.mutant.operator][g.outcome] += 1
    kills: Counter = Counter()
    alone: Counter = Counter()
    for g in mutants:
        if g.outcome == KILLED:
            kills.update(list(g.lost))
            if len(g.lost) == 1:
                alone.update(list(g.lost))
    rejected_by_class: dict[str, Counter] = defaultdict(Counter)
    rejected_by_check: Counter = Counter()
    for g in rewrites:
        rejected_by_class[g.mutant.group][g.outcome] += 1
        if g.outcome == REJECTED:
            rejected_by_check.update(list(g.lost))
    return {
        "assignment": assignment,
        "seconds": round(seconds, 1),
        "grading_seconds": round(sum(g.seconds or 0 for g in [reference, *graded]), 1),
        "reference": {"score": reference.score, "max_score": reference.max_score, "lost": reference.lost},
        "mutants": {**{outcome: counts[outcome] for outcome in OUTCOMES}, "total": len(mutants),
                    "accepted": sum(g.outcome == SURVIVED and bool(g.reason) for g in mutants),
                    "score": score(counts[KILLED], counts[SURVIVED])},
        "by_operator": {op: {**{o: c[o] for o in OUTCOMES}, "score": score(c[KILLED], c[SURVIVED])}
                        for op, c in by_operator.items()},
        "by_check": {check: {"kills": n, "alone": alone[check]} for check, n in kills.most_common()},
        "rewrites": {"total": len(rewrites), "false_rejections": sum(g.outcome == REJECTED for g in rewrites),
                     "broken": sum(g.outcome == BROKEN for g in rewrites),
                     "by_class": {cls: {"kept": c["kept"], "false_rejections": c[REJECTED]}
                                  for cls, c in rejected_by_class.items()},
                     "by_check": dict(rejected_by_check)},
        "graded": [_entry(g, covered) for g in graded],
    }


def _entry(g: Graded, covered: list[frozenset[str]]) -> dict:
    entry = {"name": g.mutant.name, "kind": g.mutant.kind, "operator": g.mutant.operator, "group": g.mutant.group,
             "cell": g.mutant.cell, "detail": g.mutant.detail, "outcome": g.outcome, "points": g.score,
             "max_points": g.max_score, "lost": g.lost, "diff": g.mutant.diff, "seconds": g.seconds,
             "reason": g.reason}
    if g.outcome == KILLED:
        entry["new_to_samples"] = frozenset(g.lost) not in covered
    return entry


def text(data: dict) -> str:
    """The report for the terminal."""
    m, r = data["mutants"], data["rewrites"]
    shown = f"{m['score']:.0%}" if m["score"] is not None else "n/a"
    lines = [f"{data['assignment']}: mutation score {shown} ({m['killed']} killed of {m['killed'] + m['survived']}); "
             f"{m['total']} mutants: {m['killed']} killed, {m['survived']} survived, {m['broken']} broken, "
             f"{m['timeout']} timed out, {m['equivalent']} equivalent"
             + (f" ({m['accepted']} of the survivors accepted)" if m["accepted"] else ""),
             f"  rewrites: {r['total']}, {r['false_rejections']} false rejections"
             + (f", {r['broken']} broken (their own code raised in this notebook: see below)" if r["broken"] else ""),
             f"  gradings took {data['grading_seconds']:.0f} s in all, one after another; this run took "
             f"{data['seconds']:.0f} s"]
    if data["reference"]["lost"]:
        lines.append(f"  THE REFERENCE LOSES {sorted(data['reference']['lost'])}: fix it before reading the rest")
    lines.append("  by operator:")
    for op, c in data["by_operator"].items():
        op_score = f"{c['score']:.0%}" if c["score"] is not None else "  - "
        lines.append(f"    {op:<20} {op_score:>5}  killed {c[KILLED]}, survived {c[SURVIVED]}, broken {c[BROKEN]}, "
                     f"timed out {c[TIMEOUT]}, equivalent {c[EQUIVALENT]}")
    lines.append("  checks that killed: " + (", ".join(f"{check} {c['kills']}" for check, c in data["by_check"].items())
                                              or "none"))
    for entry in data["graded"]:
        if entry["kind"] == REWRITE and entry["outcome"] == BROKEN:
            lines.append(f"  REWRITE BROKE THE NOTEBOOK: {entry['name']} ({entry['detail']}): {entry['reason']}")
        if entry["outcome"] in (SURVIVED, REJECTED):
            label = "SURVIVED" if entry["outcome"] == SURVIVED else "FALSE REJECTION"
            if entry["outcome"] == SURVIVED and entry["reason"]:
                label = f"SURVIVED, accepted ({entry['reason']})"
            lost = f", lost {sorted(entry['lost'])}" if entry["lost"] else ""
            lines.append(f"  {label}: {entry['name']} ({entry['detail']}): {entry['points']:g} of "
                         f"{entry['max_points']:g} points{lost}")
            lines += ["      " + line for line in entry["diff"].splitlines()]
    return "\n".join(lines)


def write(course: Path, data: dict) -> tuple[Path, Path]:
    """``mutation.json`` and ``mutation.html`` in the assignment's report folder."""
    folder = CourseLayout(course).report(data["assignment"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mutation.json").write_text(json.dumps(data, indent=1) + "\n")
    page = folder / "mutation.html"
    page.write_text(_page(data))
    return folder / "mutation.json", page


def _page(data: dict) -> str:
    m, r = data["mutants"], data["rewrites"]
    shown = f"{m['score']:.0%}" if m["score"] is not None else "n/a"
    by_operator = table(["operator", "score", *OUTCOMES], [
        [op, f"{c['score']:.0%}" if c["score"] is not None else "-", *(str(c[o]) for o in OUTCOMES)]
        for op, c in data["by_operator"].items()])
    by_check = table(["check", "mutants it failed", "the only check failed"],
                     [[check, str(c["kills"]), str(c["alone"])] for check, c in data["by_check"].items()])
    by_class = table(["class of rewrite", "kept", "false rejections"],
                     [[cls, str(c["kept"]), str(c["false_rejections"])] for cls, c in r["by_class"].items()])
    rows = []
    for entry in data["graded"]:
        lost = ", ".join(sorted(entry["lost"])) or "-"
        note = entry["reason"] or ("not covered by a hand-written sample" if entry.get("new_to_samples") else "")
        rows.append(f"<tr class=\"{html.escape(entry['outcome'].replace(' ', '-'))}\"><td>{html.escape(entry['name'])}"
                    f"</td><td>{html.escape(entry['outcome'])}</td><td>{html.escape(entry['detail'])}</td>"
                    f"<td>{entry['points']:g} / {entry['max_points']:g}</td><td>{html.escape(lost)}</td>"
                    f"<td>{html.escape(note)}</td><td><pre>{html.escape(entry['diff'])}</pre></td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("name", "outcome", "edit", "points", "checks lost", "note", "diff"))
    return page(html.escape(f"{data['assignment']}: mutation report"), BODY.format(
        summary=html.escape(f"Mutation score {shown}: {m['killed']} killed, {m['survived']} survived, "
                            f"{m['broken']} broken, {m['timeout']} timed out, {m['equivalent']} equivalent, "
                            f"of {m['total']} mutants. {r['total']} valid rewrites, {r['false_rejections']} "
                            f"false rejections. The gradings took {data['grading_seconds']:.0f} s in all."),
        by_operator=by_operator, by_check=by_check, by_class=by_class,
        graded=f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"), STYLE)


def save_sample(course: Path, assignment: str, graded: Graded) -> Path:
    """Add a killed mutant to ``graders/samples_<id>.py`` as a hand-written sample, with the checks it loses."""
    path = CourseLayout(course).samples(assignment)
    sample = graded.mutant.sample(frozenset(graded.lost))
    (cell, old, new), = sample.edits
    loses = "{" + ", ".join(json.dumps(c) for c in sorted(sample.loses)) + "}"
    code = (f"Sample({json.dumps(sample.name)}, {json.dumps('mutant: ' + sample.about)},\n"
            f"           (({json.dumps(cell)}, {json.dumps(old)},\n"
            f"             {json.dumps(new)}),),\n"
            f"           frozenset({loses}))")
    tree = cst.parse_module(path.read_text())
    tree = tree.visit(_Appended(cst.parse_expression(code)))
    path.write_text(tree.code)
    return path


class _Appended(cst.CSTTransformer):
    """``SAMPLES = [...]`` with one more element."""

    def __init__(self, value: cst.BaseExpression) -> None:
        super().__init__()
        self.value = value

    def leave_Assign(self, original_node, updated_node):
        target, value = updated_node.targets[0].target, updated_node.value
        if isinstance(target, cst.Name) and target.value == "SAMPLES" and isinstance(value, cst.List) and value.elements:
            return updated_node.with_changes(value=with_element_after(value, value.elements[-1], self.value))
        return updated_node


def covered_sets(course: Path, assignment: str) -> list[frozenset[str]]:
    """The check sets the hand-written wrong samples lose."""
    return [s.loses for s in samples_module.samples(course, assignment) if s.loses]


STYLE = """tr.survived td, tr.false-rejection td { background: #fde8e8; }
pre { margin: 0; font-size: 0.85em; }
"""

BODY = """<p>{summary}</p>
<h2>By operator</h2>
{by_operator}
<h2>Checks that failed mutants</h2>
{by_check}
<h2>Valid rewrites</h2>
{by_class}
<h2>Every mutant and rewrite</h2>
{graded}
"""

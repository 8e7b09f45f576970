"""The gradebook as a person reads it: student x assignment x points, and
each failed check with the message the student got."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from tfgrader import wire
from tfgrader.course import COURSE_ID
from tfgrader.instructor.pipeline import db_url


@dataclass(frozen=True)
class CheckScore:
    """One check of one submission, as nbgrader scored it."""

    name: str
    score: float
    max_score: float
    message: str = ""  # why points were lost; empty when none were


@dataclass
class Score:
    """One student's result on one assignment."""

    student: str
    assignment: str
    score: float
    max_score: float
    failed: dict[str, str] = field(default_factory=dict)  # check -> message
    checks: list[CheckScore] = field(default_factory=list)  # every check, in the notebook's order
    sandboxed: bool | None = None  # as recorded by the trusted verdict
    stopped: str = ""  # the limit that stopped the notebook, if one did


def scores(course: Path, assignment: str) -> list[Score]:
    """Scores from nbgrader's gradebook, with failed-check messages from the
    autograded notebooks."""
    from nbgrader.api import Gradebook, MissingEntry

    results = []
    with Gradebook(db_url(course), COURSE_ID) as gb:
        for student in sorted(s.id for s in gb.students):
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            score = Score(student, assignment, submission.score, submission.max_score)
            _add_record(score, course / "autograded" / student / assignment / wire.EXPORT_DIRNAME / wire.RESULTS)
            for notebook in submission.notebooks:
                messages = _messages(course / "autograded" / student / assignment / f"{notebook.name}.ipynb")
                order = {grade_id: index for index, grade_id in enumerate(messages)}
                for grade in sorted(notebook.grades, key=lambda g: order.get(g.name, len(order))):
                    if not grade.max_score:
                        continue
                    check = grade.name.removeprefix("check_")
                    message = ""
                    if (grade.score or 0) < grade.max_score:
                        message = score.failed[check] = messages.get(grade.name) or "no output recorded"
                    score.checks.append(CheckScore(check, grade.score or 0.0, grade.max_score, message))
            results.append(score)
    return results


def _add_record(score: Score, path: Path) -> None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    score.sandboxed, score.stopped = record.get("sandbox"), record.get("stopped") or ""


def _messages(path: Path) -> dict[str, str]:
    """grade_id -> the error shown in that cell of an autograded notebook
    ("" for a cell without one), in the notebook's order."""
    if not path.exists():
        return {}
    messages = {}
    for cell in nbformat.read(path, as_version=4).cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if grade_id:
            messages[grade_id] = errors and (
                f"{errors[-1].get('evalue', '')}".strip() or errors[-1].get("ename", "error"))
    return messages


def format_table(rows: list[Score], problems: dict[str, str] | None = None) -> str:
    """A plain-text gradebook; ``problems`` are students who could not be graded."""
    width = max([len(r.student) for r in rows] + [len(s) for s in problems or {}] + [7])
    lines = [f"{'student':<{width}}  {'assignment':<28} {'points':>11}"]
    for row in rows:
        mark = "  UNSANDBOXED" if row.sandboxed is False else ""
        lines.append(f"{row.student:<{width}}  {row.assignment:<28} {row.score:>5g} / {row.max_score:<3g}{mark}")
        if row.stopped:
            lines.append(f"{'':<{width}}    stopped: {row.stopped}")
        for check, message in row.failed.items():
            lines.append(f"{'':<{width}}    - {check}: {message}")
    for student, reason in (problems or {}).items():
        lines.append(f"{student:<{width}}  not graded: {reason}")
    return "\n".join(lines)

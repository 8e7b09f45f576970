"""The gradebook as a CSV file that Canvas's Grades > Import accepts: ``tfgrader export --canvas``."""

from __future__ import annotations

import csv
from pathlib import Path

from tfgrader.instructor.outputs import report

# Canvas's gradebook import: these columns first, then one column per
# assignment; the second row gives each assignment's points possible.
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def write_canvas_csv(course: Path, assignments: list[str], path: Path) -> None:
    """A gradebook CSV that Canvas's Grades > Import accepts: students are
    matched by their login (the nbgrader student id as ``SIS Login ID``), and
    each assignment's column is created on import, or updated when it is
    renamed to ``Name (canvas id)`` first."""
    totals: dict[str, dict[str, float]] = {}
    possible: dict[str, float] = {}
    for assignment in assignments:
        for row in report.scores(course, assignment):
            totals.setdefault(row.student, {})[assignment] = row.score
            possible[assignment] = row.max_score
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([*CANVAS_COLUMNS, *assignments])
        writer.writerow(["    Points Possible", "", "", "", "", *(f"{possible.get(a, 0):g}" for a in assignments)])
        for student in sorted(totals):
            scores = totals[student]
            writer.writerow([student, "", "", student, "",
                             *(f"{scores[a]:g}" if a in scores else "" for a in assignments)])

"""The instructor's view of a whole class: ``tfgrader report ID --html DIR --csv FILE``.

An HTML page with the score distribution and each check's failure rate
(matplotlib figures, embedded as PNG files beside the page), the most common
messages, the slowest submissions and the batch's failures (notebooks that
could not be read, or that a time or memory limit stopped), and a CSV file
with one row per student and one column per check.
"""

from __future__ import annotations

import csv
import html
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tfgrader.instructor.batch import stamps
from tfgrader.instructor.course import CourseLayout
from tfgrader.instructor.outputs import report
from tfgrader.wire import Results


@dataclass(frozen=True)
class Trouble:
    """A submission the batch could not grade in full."""

    student: str
    what: str


def gather(course: Path, assignment: str) -> tuple[list[Results], dict[str, float], list[Trouble]]:
    """The scores, each graded student's grading time, and the batch's failures."""
    rows = report.scores(course, assignment)
    seconds, troubles = {}, []
    for row in rows:
        stamp = stamps.read(course, assignment, row.student) or {}
        if isinstance(stamp.get("seconds"), (int, float)):
            seconds[row.student] = stamp["seconds"]
        if row.stopped:
            troubles.append(Trouble(row.student, f"stopped: {row.stopped}"))
    layout = CourseLayout(course)
    for student in layout.students(assignment):
        if not layout.stamp(student, assignment).exists():
            troubles.append(Trouble(student, "not graded: nbgrader could not read or run the notebook"))
    return rows, seconds, troubles


def write_csv(rows: list[Results], path: Path) -> None:
    """One row per student: the total, then each check's points."""
    checks = _check_names(rows)
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["student", "assignment", "score", "max_score", *checks])
        for row in rows:
            points = {c.name: c.score for c in row.checks}
            writer.writerow([row.student, row.assignment, f"{row.score:g}", f"{row.max_score:g}",
                             *(f"{points[c]:g}" if c in points else "" for c in checks)])


def write_html(course: Path, assignment: str, folder: Path) -> Path:
    """Write ``index.html`` and its figures into ``folder``; return the page's path."""
    from matplotlib.figure import Figure  # no pyplot: safe beside other threads

    rows, seconds, troubles = gather(course, assignment)
    folder.mkdir(parents=True, exist_ok=True)
    checks = _check_names(rows)
    failed = Counter(name for row in rows for name in row.failed)

    figure = Figure(figsize=(6, 3))
    axes = figure.subplots()
    top = max((row.max_score for row in rows), default=1)
    axes.hist([row.score for row in rows], bins=[x - 0.5 for x in range(int(top) + 2)], color="#4477aa",
              edgecolor="white")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set(xlabel="points", ylabel="students", title=f"Scores ({len(rows)} students, out of {top:g})")
    figure.tight_layout()
    figure.savefig(folder / "scores.png", dpi=100)

    figure = Figure(figsize=(6, 0.4 * max(len(checks), 3) + 1))
    axes = figure.subplots()
    rates = [failed[c] / len(rows) * 100 if rows else 0 for c in checks]
    axes.barh(checks[::-1], rates[::-1], color="#cc6677")
    axes.set(xlabel="% of students who lost points", xlim=(0, 100), title="Failure rate of each check")
    figure.tight_layout()
    figure.savefig(folder / "checks.png", dpi=100)

    messages = Counter((check, message) for row in rows for check, message in row.failed.items())
    slowest = sorted(seconds.items(), key=lambda item: -item[1])[:10]
    mean = sum(row.score for row in rows) / len(rows) if rows else 0.0
    body = BODY.format(
        summary=html.escape(f"{len(rows)} students in the gradebook, mean {mean:.1f} of {top:g} points; "
                            f"{len(troubles)} with a problem in the batch."),
        messages=table(["students", "check", "message"],
                        [[str(n), check, message] for (check, message), n in messages.most_common(10)]),
        slowest=table(["student", "seconds"], [[student, f"{s:.0f}"] for student, s in slowest]),
        troubles=table(["student", "what happened"], [[t.student, t.what] for t in troubles]),
    )
    path = folder / "index.html"
    path.write_text(page(html.escape(f"{assignment}: class report"), body))
    return path


def _check_names(rows: list[Results]) -> list[str]:
    names: list[str] = []
    for row in rows:
        names += [c.name for c in row.checks if c.name not in names]
    return names


def table(header: list[str], body: list[list[str]]) -> str:
    if not body:
        return "<p>None.</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    lines = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in body)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>"


# The look of the instructor's pages (this one and the mutation report).
STYLE = """body { font-family: sans-serif; max-width: 60em; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #eee; }
img { max-width: 100%; }"""


def page(title: str, body: str, style: str = "") -> str:
    """An instructor's HTML page: ``title`` (already escaped) as its title and heading, then ``body``."""
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
            f"<style>\n{STYLE}\n{style}</style>\n</head>\n<body>\n<h1>{title}</h1>\n{body}</body>\n</html>\n")


BODY = """<p>{summary}</p>
<h2>Score distribution</h2>
<img src="scores.png" alt="Histogram of the students' scores">
<h2>Checks students fail</h2>
<img src="checks.png" alt="Bar chart of the failure rate of each check">
<h2>Most common messages</h2>
{messages}
<h2>Slowest submissions</h2>
{slowest}
<h2>Problems in the batch</h2>
{troubles}
"""

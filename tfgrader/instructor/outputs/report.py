"""The gradebook as a person reads it: student x assignment x points, and
each failed check with the message the student got."""

from __future__ import annotations

from pathlib import Path

from tfgrader.instructor.course import COURSE_ID, CourseLayout
from tfgrader.wire import CheckResult, Results
from tfgrader.wire.declarations import check_of_grade_id
from tfgrader.wire.messages import DID_NOT_PASS, no_such_check

NO_RECORD = "no output recorded"


def scores(course: Path, assignment: str) -> list[Results]:
    """Each graded student's results of ``assignment``: the points from nbgrader's
    gradebook (where an instructor may have changed them), the messages and
    the rest from the record the trusted verdict kept beside each autograded notebook."""
    from nbgrader.api import Gradebook, MissingEntry

    layout, rows = CourseLayout(course), []
    with Gradebook(layout.db_url(), COURSE_ID) as gb:
        for student in sorted(s.id for s in gb.students):
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            record = Results.load(layout.results(student, assignment))
            order = [c.name for c in record.checks] if record else []
            checks = []
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.max_score:
                        checks.append(_check(check_of_grade_id(grade.name), grade.score or 0.0, grade.max_score,
                                             record))
            checks.sort(key=lambda c: order.index(c.name) if c.name in order else len(order))
            rows.append(Results(checks, student=student, assignment=assignment,
                                sandboxed=record.sandboxed if record else None,
                                stopped=record.stopped if record else None,
                                duration_s=record.duration_s if record else None))
    return rows


def _check(name: str, score: float, max_score: float, record: Results | None) -> CheckResult:
    """A check as the gradebook scored it, with the message the student got when it lost points."""
    recorded = record.check(name) if record else None
    if score >= max_score:
        message = ""
    elif record is None:
        message = NO_RECORD
    elif recorded is None:
        message = no_such_check(name)
    else:
        message = recorded.message or DID_NOT_PASS
    return CheckResult(name, score, max_score, message, recorded.figure if recorded else None)


def format_table(rows: list[Results], problems: dict[str, str] | None = None) -> str:
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

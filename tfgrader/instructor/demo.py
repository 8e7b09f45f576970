"""The demo: generate the assignments, grade a few sample submissions, print
the gradebook. It works in the course directory itself; everything it writes
(submitted/, autograded/, feedback/, gradebook.db) is an output, ignored by git."""

from __future__ import annotations

import time
from pathlib import Path

from tfgrader import data
from tfgrader.instructor import pipeline, report, samples

DEMO_ASSIGNMENT = "01-keras-overview"
# student id -> the sample it submits (None: the reference solution)
DEMO_STUDENTS = {"reference": None, "untouched": "release", "unscaled": "unscaled", "no_dropout": "no_dropout"}


def run(course: Path, say=print) -> int:
    """Run the demo in ``course``; returns a process exit code."""
    say(f"course: {course}")
    say(f"data: {data.describe_sources()}")
    say("sandbox: " + ("bubblewrap" if pipeline.preflight(course) else "OFF (student code runs unconfined)"))
    for assignment in sorted(p.name for p in (course / "source").iterdir() if p.is_dir()):
        pipeline.generate(course, assignment)
        say(f"generated release/{assignment}")
    _submit(course)
    problems = {}
    for student in DEMO_STUDENTS:
        started = time.monotonic()
        outcome = pipeline.autograde(course, DEMO_ASSIGNMENT, student)
        say(f"autograded {student:<11} {time.monotonic() - started:5.1f} s"
            + ("" if outcome.ok else f"  (failed: {outcome.error})"))
        if outcome.ok:
            pipeline.feedback(course, DEMO_ASSIGNMENT, student)
        else:
            problems[student] = outcome.error
    say("\ngradebook (feedback for each student is in feedback/<student>/):")
    say(report.format_table(report.scores(course, DEMO_ASSIGNMENT), problems))
    return 0


def _submit(course: Path) -> None:
    reference = samples.reference(course, DEMO_ASSIGNMENT)
    wrong = {s.name: s for s in samples.samples(course, DEMO_ASSIGNMENT)}
    for student, sample in DEMO_STUDENTS.items():
        if sample is None:
            nb = reference
        elif sample == "release":
            nb = samples.release(course, DEMO_ASSIGNMENT)
        else:
            nb = samples.apply(reference, wrong[sample])
        samples.submit(course, DEMO_ASSIGNMENT, student, nb)

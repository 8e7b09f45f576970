"""The demo: generate the six assignments, grade the reference solution and
one wrong submission of each (two at a time, with progress), write each
student's feedback, print the gradebook and write the class report. It works
in the course directory itself; everything it writes (submitted/,
autograded/, feedback/, reports/, gradebook.db) is an output, ignored by git."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tfgrader import data
from tfgrader.course import ASSIGNMENTS
from tfgrader.instructor import class_report, pipeline, report, samples
from tfgrader.instructor.progress import BatchProgress, summary
from tfgrader.wire import one_line

WORKERS = 2
REFERENCE = "reference"
# Assignment 05 trains five models in the notebook and three more in the
# grader, about three times as long as any other: its submissions start
# first, so that the pool never waits on them alone at the end.
SLOWEST = "05-overfit_and_underfit"


def run(course: Path, say=print, assignments: tuple[str, ...] = ASSIGNMENTS) -> int:
    """Run the demo in ``course`` on ``assignments``; returns a process exit code."""
    started = time.monotonic()
    say(f"course: {course}")
    say(f"data: {data.describe_sources()}")
    say("sandbox: " + ("bubblewrap" if pipeline.preflight(course) else "OFF (student code runs unconfined)"))
    todo = []
    for assignment in assignments:
        pipeline.generate(course, assignment)
        wrong = samples.samples(course, assignment)[0]
        reference = samples.reference(course, assignment)
        samples.submit(course, assignment, REFERENCE, reference)
        samples.submit(course, assignment, wrong.name, samples.apply(reference, wrong))
        todo += [(assignment, REFERENCE), (assignment, wrong.name)]
        say(f"generated release/{assignment}; submitted the reference and '{wrong.name}' ({wrong.about})")
    todo.sort(key=lambda job: job[0] != SLOWEST)

    with BatchProgress(len(todo), f"autograding {len(todo)} submissions, {WORKERS} at a time") as shown:
        def grade(job: tuple[str, str]) -> tuple[str, pipeline.Run]:
            run = pipeline.grade_student(course, *job)
            shown.done(run)
            return job[0], run

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            runs = list(pool.map(grade, todo))

    for assignment in assignments:
        made = pipeline.nbgrader(course, "generate_feedback", assignment, "--force")
        if made.returncode != 0:
            last = (made.stderr.strip().splitlines() or ["nbgrader said nothing"])[-1]
            say(f"feedback for {assignment} could not be written: {one_line(last)}")
        problems = {run.student: run.error for a, run in runs if a == assignment and not run.ok}
        say(f"\n{assignment}:")
        say(report.format_table(report.scores(course, assignment), problems))
        page = class_report.write_html(course, assignment, course / "reports" / assignment)
        say(f"class report: {page}")
    say(f"\nfeedback for each student: {course / 'feedback'}/<student>/<assignment>/")
    say(summary([run for _, run in runs], time.monotonic() - started))
    return 0 if all(run.ok for _, run in runs) else 1

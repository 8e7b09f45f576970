"""The demo: generate the six assignments, grade the reference solution and
one wrong submission of each (two at a time, with progress), write each
student's feedback, print the gradebook and write the class report. It works
in the course directory itself; everything it writes (submitted/,
autograded/, feedback/, reports/, gradebook.db) is an output, ignored by git."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from tfgrader import data
from tfgrader.instructor.authoring import samples
from tfgrader.instructor.authoring.public import generate
from tfgrader.instructor.batch import runner, schedule
from tfgrader.instructor.batch.progress import BatchProgress, summary
from tfgrader.instructor.course import ASSIGNMENTS, CourseLayout, longest_first
from tfgrader.instructor.outputs import class_report, report
from tfgrader.wire import one_line

WORKERS = 2
REFERENCE = "reference"


def run(course: Path, say=print, assignments: tuple[str, ...] = ASSIGNMENTS) -> int:
    """Run the demo in ``course`` on ``assignments``; returns a process exit code.

    The assignments are generated and graded longest first (assignment 05's
    notebook and grader train eight models between them). Grading starts as
    soon as the first is generated, while the others are generated; each
    assignment's feedback and class report are written as soon
    as both its submissions are graded, while the rest are.
    """
    started = time.monotonic()
    say(f"course: {course}")
    say(f"data: {data.describe_sources()}")
    say("sandbox: " + ("bubblewrap" if schedule.preflight(course) else "OFF (student code runs unconfined)"))
    order = longest_first(assignments)
    runs: dict[str, list[schedule.Run]] = {assignment: [] for assignment in order}
    written: dict[str, Future] = {}
    lock = threading.Lock()

    with BatchProgress(2 * len(order), f"autograding {2 * len(order)} submissions, {WORKERS} at a time",
                       name_assignments=True) as shown, \
            ThreadPoolExecutor(WORKERS) as graders, ThreadPoolExecutor(1) as writer:
        def grade(assignment: str, student: str) -> None:
            run = schedule.grade_student(course, assignment, student, workers=WORKERS)
            shown.done(run)
            with lock:
                runs[assignment].append(run)
                if len(runs[assignment]) == 2:
                    written[assignment] = writer.submit(_feedback_and_report, course, assignment)

        grading = []
        for assignment in order:
            wrong = _generate_and_submit(course, assignment)
            grading += [graders.submit(grade, assignment, student) for student in (REFERENCE, wrong.name)]
            say(f"generated release/{assignment}; submitted the reference and '{wrong.name}' ({wrong.about})")
        for future in grading:
            future.result()
    everyone = [run for assignment in order for run in runs[assignment]]
    for assignment in assignments:
        problems = {run.student: run.error for run in runs[assignment] if not run.ok}
        say(f"\n{assignment}:")
        say(report.format_table(report.scores(course, assignment), problems))
        say(written[assignment].result())
    say(f"\nfeedback for each student: {CourseLayout(course).feedback('<student>', '<assignment>')}/")
    say(summary(everyone, time.monotonic() - started))
    return 0 if all(run.ok for run in everyone) else 1


def _generate_and_submit(course: Path, assignment: str) -> samples.Sample:
    """Generate ``assignment`` and submit its reference and first wrong sample; returns that sample."""
    generate(course, assignment)
    wrong = samples.samples(course, assignment)[0]
    reference = samples.reference(course, assignment)
    samples.submit(course, assignment, REFERENCE, reference)
    samples.submit(course, assignment, wrong.name, samples.apply(reference, wrong))
    return wrong


def _feedback_and_report(course: Path, assignment: str) -> str:
    """Write the feedback of ``assignment``'s students and its class report; returns what to tell."""
    made = runner.nbgrader(course, "generate_feedback", assignment, "--force")
    told = ""
    if made.returncode != 0:
        last = (made.stderr.strip().splitlines() or ["nbgrader said nothing"])[-1]
        told = f"feedback for {assignment} could not be written: {one_line(last)}\n"
    page = class_report.write_html(course, assignment, CourseLayout(course).report(assignment))
    return told + f"class report: {page}"

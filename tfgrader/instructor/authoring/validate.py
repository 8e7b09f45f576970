"""Prove an assignment's graders: the reference scores full points, the
untouched release copy scores 0, and every sample loses exactly the checks it
declares. Runs the real nbgrader pipeline in a scratch copy of the course.

``--quick`` grades a covering set of the samples (each check failed by at
least one), packed into submissions of up to three faults each that must lose
exactly the union of their checks: the project's own test run uses it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tfgrader.instructor.authoring import samples
from tfgrader.instructor.authoring.public import generate
from tfgrader.instructor.batch.schedule import Run, autograde_all, grade_student
from tfgrader.instructor.course import CourseLayout, copy_course
from tfgrader.instructor.outputs import report
from tfgrader.wire import Results
from tfgrader.wire.declarations import declared_checks


@dataclass
class Outcome:
    """What one submission was expected to lose, and what it lost."""

    student: str
    expected: frozenset[str]
    lost: frozenset[str]
    score: float
    messages: dict[str, str]
    grader_s: float | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and self.lost == self.expected


def submit_all(course: Path, assignment: str, chosen: list[samples.Sample] | None = None) -> dict[str, frozenset[str]]:
    """Submit the reference, the release copy and the ``chosen`` samples (by
    default all of the assignment's); return what each must lose."""
    checks = frozenset(declared_checks(CourseLayout(course).grader(assignment)))
    reference = samples.reference(course, assignment)
    samples.submit(course, assignment, "reference", reference)
    samples.submit(course, assignment, "release", samples.release(course, assignment))
    expected = {"reference": frozenset(), "release": checks}
    for sample in samples.samples(course, assignment) if chosen is None else chosen:
        samples.submit(course, assignment, sample.name, samples.apply(reference, sample))
        expected[sample.name] = sample.loses
    return expected


def chosen(course: Path, assignment: str, quick: bool = False) -> list[samples.Sample]:
    """The samples a validation grades: all of them, or with ``quick`` a covering set, packed."""
    found = samples.samples(course, assignment)
    if not quick:
        return found
    return samples.combined(samples.covering(found, set(declared_checks(CourseLayout(course).grader(assignment)))))


class Validation:
    """One assignment's graders being proved in ``workdir``, a scratch copy of
    ``course``: generated, and the reference, the release copy and the chosen
    samples submitted. :meth:`grade` grades one submission (so that a caller may
    pool several validations' submissions); :meth:`outcomes` tells what each lost."""

    def __init__(self, course: Path, assignment: str, workdir: Path, quick: bool = False,
                 keep_exports: bool = False) -> None:
        self.assignment = assignment
        self.course = copy_course(course, workdir)
        if keep_exports:  # what each grader saw, to rerun a verdict
            with CourseLayout(self.course).config.open("a") as config:
                config.write("\nc.TrustedVerdict.keep_exports = True\n")
        generate(self.course, assignment)
        self.expected = submit_all(self.course, assignment, chosen(course, assignment, quick))
        self.runs: dict[str, Run] = {}

    def students(self) -> list[str]:
        return CourseLayout(self.course).students(self.assignment)

    def grade(self, student: str) -> Run:
        self.runs[student] = run = grade_student(self.course, self.assignment, student)
        return run

    def outcomes(self) -> list[Outcome]:
        return outcomes(self.course, self.assignment, self.expected, self.runs)


def validate(course: Path, assignment: str, workdir: Path, *options: str, workers: int | None = None,
             quick: bool = False) -> list[Outcome]:
    """Grade the reference, the release copy and the samples (see :func:`chosen`) in ``workdir``."""
    validation = Validation(course, assignment, workdir, quick)
    validation.runs = {run.student: run for run in autograde_all(validation.course, assignment, *options,
                                                                  workers=workers)}
    return validation.outcomes()


def outcomes(course: Path, assignment: str, expected: dict[str, frozenset[str]],
             runs: dict[str, Run]) -> list[Outcome]:
    scored = {row.student: row for row in report.scores(course, assignment)}
    results = []
    for student, loses in expected.items():
        row = scored.get(student)
        failed = row.failed if row else {}
        error = runs[student].error if student in runs else "not autograded"
        results.append(Outcome(student, loses, frozenset(failed), row.score if row else 0.0, failed,
                               grader_seconds(course, assignment, student), error))
    return results


def grader_seconds(course: Path, assignment: str, student: str) -> float | None:
    """How long the clean grading process took for this submission."""
    recorded = Results.load(CourseLayout(course).results(student, assignment))
    return recorded.duration_s if recorded else None


def format_outcomes(results: list[Outcome]) -> str:
    lines = []
    for o in results:
        verdict = "ok  " if o.ok else "FAIL"
        timing = f"grader {o.grader_s:.1f} s" if o.grader_s is not None else "no grader run"
        lines.append(f"{verdict} {o.student:<16} {o.score:>4g} points, lost {sorted(o.lost) or 'nothing'} ({timing})")
        if not o.ok:
            lines.append(f"     expected to lose {sorted(o.expected) or 'nothing'} {o.error}")
    return "\n".join(lines)

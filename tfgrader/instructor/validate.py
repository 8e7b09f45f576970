"""Prove an assignment's graders: the reference scores full points, the
untouched release copy scores 0, and every sample loses exactly the checks it
declares. Runs the real nbgrader pipeline in a scratch copy of the course."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from tfgrader.instructor import pipeline, report, samples
from tfgrader.course import declared_checks, grader_module

COURSE_FILES = ("source", "graders", "nbgrader_config.py")


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


def copy_course(course: Path, dest: Path) -> Path:
    """Copy what nbgrader needs of ``course`` into ``dest`` (outputs excluded)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in COURSE_FILES:
        src = course / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def submit_all(course: Path, assignment: str, chosen: list[samples.Sample] | None = None) -> dict[str, frozenset[str]]:
    """Submit the reference, the release copy and the ``chosen`` samples (by
    default all of the assignment's); return what each must lose."""
    checks = frozenset(declared_checks(grader_module(course, assignment)))
    reference = samples.reference(course, assignment)
    samples.submit(course, assignment, "reference", reference)
    samples.submit(course, assignment, "release", samples.release(course, assignment))
    expected = {"reference": frozenset(), "release": checks}
    for sample in samples.samples(course, assignment) if chosen is None else chosen:
        samples.submit(course, assignment, sample.name, samples.apply(reference, sample))
        expected[sample.name] = sample.loses
    return expected


def validate(course: Path, assignment: str, workdir: Path, *options: str, workers: int | None = None) -> list[Outcome]:
    """Grade the reference, the release copy and all samples in ``workdir``."""
    scratch = copy_course(course, workdir)
    pipeline.generate(scratch, assignment)
    expected = submit_all(scratch, assignment)
    runs = {run.student: run for run in pipeline.autograde_all(scratch, assignment, *options, workers=workers)}
    return outcomes(scratch, assignment, expected, runs)


def outcomes(course: Path, assignment: str, expected: dict[str, frozenset[str]],
             runs: dict[str, pipeline.Run]) -> list[Outcome]:
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
    path = course / "autograded" / student / assignment / ".tfgrader" / "results.json"
    return json.loads(path.read_text()).get("duration_s") if path.exists() else None


def format_outcomes(results: list[Outcome]) -> str:
    lines = []
    for o in results:
        verdict = "ok  " if o.ok else "FAIL"
        timing = f"grader {o.grader_s:.1f} s" if o.grader_s is not None else "no grader run"
        lines.append(f"{verdict} {o.student:<16} {o.score:>4g} points, lost {sorted(o.lost) or 'nothing'} ({timing})")
        if not o.ok:
            lines.append(f"     expected to lose {sorted(o.expected) or 'nothing'} {o.error}")
    return "\n".join(lines)

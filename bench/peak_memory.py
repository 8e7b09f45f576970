"""Benchmark: the peak memory of each accepted submission's kernel, against its limit.

Autogrades the reference and every accepted sample (the samples that lose
nothing: the accepted variants and the official tutorials' code) of each
assignment, two at a time, and prints, per submission, the kernel sandbox's
peak memory (the RSS of its processes summed, sampled five times a second, as
recorded in its results) and its score. An assignment's memory limit
(``LIMITS`` in its grader, else the course's ``memory_limit``) should stay
well above the largest peak.

    .venv/bin/python bench/peak_memory.py [ASSIGNMENT ...] [--workers N]
"""

from __future__ import annotations

import argparse
import json

from scratch import scratch_course

from tfgrader import wire
from tfgrader.instructor.authoring import samples
from tfgrader.instructor.batch import schedule
from tfgrader.instructor.course import ASSIGNMENTS, CourseLayout
from tfgrader.instructor.outputs import report
from tfgrader.wire.declarations import own_limits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"{'assignment':<30} {'submission':<28} {'score':>9} {'peak':>8} {'limit':>6}")
    with scratch_course(*args.assignments) as course:
        for assignment in args.assignments:
            reference = samples.reference(course, assignment)
            samples.submit(course, assignment, "reference", reference)
            for sample in samples.samples(course, assignment):
                if not sample.loses:
                    samples.submit(course, assignment, sample.name, samples.apply(reference, sample))
            limit = own_limits(CourseLayout(course).grader(assignment)).get("memory", "course")
            schedule.autograde_all(course, assignment, workers=args.workers)
            for row in report.scores(course, assignment):
                record = course / "autograded" / row.student / assignment / wire.EXPORT_DIRNAME / wire.RESULTS
                peak = json.loads(record.read_text()).get("peak_memory_bytes") or 0
                print(f"{assignment:<30} {row.student:<28} {row.score:>4g}/{row.max_score:<4g} "
                      f"{peak / 2**30:6.2f}GB {limit:>6}", flush=True)


if __name__ == "__main__":
    main()

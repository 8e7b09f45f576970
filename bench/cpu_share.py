"""Benchmark: an honest notebook's time beside a notebook that keeps every core busy.

Grades the reference of one assignment (default 01) alone, then in one batch
with a hog (the same reference, plus a first cell that starts two spinning
processes per core for the whole run), two workers at a time, in one run;
once with the control groups this host allows (each sandbox capped at its
share of the cores, ``cpu.max``) and once with ``TFGRADER_CGROUPS=off``
(the kernel's scheduler shares the cores as it will). Prints the honest
notebook's time beside the hog divided by its time alone, for each. Timing
lives here, never in the tests.

    .venv/bin/python bench/cpu_share.py [ASSIGNMENT]
"""

from __future__ import annotations

import argparse
import os

import nbformat
from scratch import scratch_course

from tfgrader.instructor.authoring import samples
from tfgrader.instructor.batch import schedule
from tfgrader.instructor.confine import cgroups

HOG = """import multiprocessing, os, time
def _spin():
    end = time.time() + 600
    while time.time() < end:
        pass
_hogs = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(2 * os.cpu_count())]
for _hog in _hogs:
    _hog.start()
"""


def seconds(course, assignment: str, names: list[str]) -> float:
    runs = {run.student: run for run in schedule.autograde_all(course, assignment, names=names, workers=2,
                                                               force=True)}
    assert runs["honest"].ok, runs["honest"].error
    return runs["honest"].seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment", nargs="?", default="01-keras-overview")
    args = parser.parse_args()
    with scratch_course(args.assignment) as course:
        reference = samples.reference(course, args.assignment)
        samples.submit(course, args.assignment, "honest", reference)
        hog = nbformat.from_dict(reference)
        hog.cells.insert(0, nbformat.v4.new_code_cell(HOG))
        samples.submit(course, args.assignment, "hog", hog)
        print(f"control groups here: {cgroups.available() or 'none'}; {os.cpu_count()} cores")
        for label, setting in (("with control groups", "on"), ("TFGRADER_CGROUPS=off", "off")):
            os.environ["TFGRADER_CGROUPS"] = setting
            alone = seconds(course, args.assignment, ["honest"])
            beside = seconds(course, args.assignment, ["honest", "hog"])
            print(f"{label:<22} alone {alone:6.1f} s, beside the hog {beside:6.1f} s, ratio {beside / alone:.2f}",
                  flush=True)


if __name__ == "__main__":
    main()

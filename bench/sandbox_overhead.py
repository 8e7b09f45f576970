"""Benchmark: what the sandbox costs per notebook.

Autogrades the same submission of one assignment with the sandbox on and
off, alternating, in one run, and prints the median wall time of each and
their ratio. Timing lives here, never in the tests.

    .venv/bin/python bench/sandbox_overhead.py [ASSIGNMENT] [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from scratch import scratch_course

from tfgrader.instructor.authoring import samples
from tfgrader.instructor.batch import schedule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment", nargs="?", default="01-keras-overview")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with scratch_course(args.assignment) as course:
        samples.submit(course, args.assignment, "reference", samples.reference(course, args.assignment))
        times: dict[str, list[float]] = {"on": [], "off": []}
        for _ in range(args.rounds):
            for mode in ("on", "off"):
                os.environ["TFGRADER_SANDBOX"] = mode
                started = time.monotonic()
                run = schedule.autograde(course, args.assignment, "reference")
                times[mode].append(time.monotonic() - started)
                assert run.ok, run.error
    on, off = statistics.median(times["on"]), statistics.median(times["off"])
    print(f"{args.assignment}: autograde of the reference, median of {args.rounds} alternating runs")
    print(f"  sandbox on:  {on:6.1f} s   {[round(t, 1) for t in times['on']]}")
    print(f"  sandbox off: {off:6.1f} s   {[round(t, 1) for t in times['off']]}")
    print(f"  ratio on/off: {on / off:.3f}")


if __name__ == "__main__":
    main()

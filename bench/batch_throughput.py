"""Benchmark: a batch's throughput with 1 local worker, 2 local workers, and a
2-worker Dask LocalCluster, in one run.

Grades N copies of one assignment's reference (default: 6 of assignment 01)
each way, forcing a regrade, and prints the wall time, submissions per
minute and the speed-up over one worker. Timing lives here, never in the tests.

    .venv/bin/python bench/batch_throughput.py [ASSIGNMENT] [--students N]
"""

from __future__ import annotations

import argparse
import time

from scratch import scratch_course

from tfgrader.instructor.authoring import samples
from tfgrader.instructor.batch import schedule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment", nargs="?", default="01-keras-overview")
    parser.add_argument("--students", type=int, default=6)
    args = parser.parse_args()
    from distributed import LocalCluster

    with scratch_course(args.assignment) as course:
        reference = samples.reference(course, args.assignment)
        for n in range(args.students):
            samples.submit(course, args.assignment, f"student{n:03d}", reference)
        schedule.autograde(course, args.assignment, "student000")  # warm the caches once, untimed
        seconds = {}
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster:
            for label, kwargs in (("1 local worker", {"workers": 1}), ("2 local workers", {"workers": 2}),
                                  ("2-worker LocalCluster", {"scheduler": cluster.scheduler_address})):
                started = time.monotonic()
                runs = schedule.autograde_all(course, args.assignment, force=True, **kwargs)
                seconds[label] = time.monotonic() - started
                assert all(run.ok for run in runs), [run.error for run in runs if not run.ok]
    one = seconds["1 local worker"]
    print(f"{args.assignment}: {args.students} submissions of the reference")
    for label, taken in seconds.items():
        print(f"  {label:<22} {taken:6.1f} s  {args.students / taken * 60:5.1f}/min  speed-up {one / taken:4.2f}")


if __name__ == "__main__":
    main()

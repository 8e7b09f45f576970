"""Benchmark: what grading adds to running a notebook, and one grading's peak memory.

For each assignment, in one run and alternating: ``nbgrader autograde`` of
the reference (sandboxed kernel, export, the confined grading process,
nbgrader's bookkeeping) against ``jupyter nbconvert --execute`` of the same
notebook with its check cells removed (the student's code alone, in autograde
mode). Prints both wall times, their ratio, and the peak resident memory of
the whole autograde process tree (nbgrader, the kernel, the grading process),
sampled every 0.1 s. Timing lives here, never in the tests.

    .venv/bin/python bench/grading_overhead.py [ASSIGNMENT ...] [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil

from tfgrader.instructor.batch import schedule
from tfgrader.instructor.course import ASSIGNMENTS
from scratch import scratch_course

from tfgrader.instructor.authoring import samples


class PeakMemory:
    """The largest summed RSS of this process's children (and theirs), sampled in a thread."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.1):
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)


def without_checks(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(nb)
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]
    return nb


def plain_run(path: Path) -> float:
    """``jupyter nbconvert --execute`` in autograde mode (the notebook's short training)."""
    env = dict(os.environ, NBGRADER_EXECUTION="autograde", TF_CPP_MIN_LOG_LEVEL="2")
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                           "--ExecutePreprocessor.timeout=900", "--output", f"{path.stem}.out", str(path)],
                          cwd=path.parent, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS))
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    print(f"{'assignment':<30} {'nbconvert':>9} {'autograde':>9} {'ratio':>6} {'peak RSS':>9}")
    with scratch_course(*args.assignments) as course:
        for assignment in args.assignments:
            reference = samples.reference(course, assignment)
            samples.submit(course, assignment, "reference", reference)
            plain = course.parent / "plain" / assignment / f"{assignment}.ipynb"
            plain.parent.mkdir(parents=True)
            nbformat.write(without_checks(reference), plain)
            times: dict[str, list[float]] = {"plain": [], "graded": []}
            peak = 0
            for _ in range(args.rounds):
                times["plain"].append(plain_run(plain))
                with PeakMemory() as memory:
                    started = time.monotonic()
                    run = schedule.autograde(course, assignment, "reference")
                    times["graded"].append(time.monotonic() - started)
                assert run.ok, run.error
                peak = max(peak, memory.peak)
            plain_s, graded_s = statistics.median(times["plain"]), statistics.median(times["graded"])
            print(f"{assignment:<30} {plain_s:8.1f}s {graded_s:8.1f}s {graded_s / plain_s:6.2f} "
                  f"{peak / 2**30:7.2f}GB", flush=True)


if __name__ == "__main__":
    main()

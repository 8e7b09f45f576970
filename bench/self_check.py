"""Benchmark: how long a student waits for ``tfgrader.self_check()``.

For each assignment, the reference solution runs as a student's notebook in a
copy of its release folder (``public_checks.py`` beside it), in autograde
mode's short training; then, in the same kernel, ``tfgrader.self_check()`` runs
the public checks (export, then a separate Python process). Prints the
notebook's time, the self-check's time (the goal: at most 30 s on 2 cores) and
what it found. Timing lives here, never in the tests.

    .venv/bin/python bench/self_check.py [ASSIGNMENT ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from scratch import COURSE
from tfgrader.instructor.authoring import samples
from tfgrader.instructor.course import ASSIGNMENTS

MEASURE = """\
import os, time
os.environ.pop("NBGRADER_EXECUTION")  # from here on, the student's own run
_started = time.monotonic()
_found = tfgrader.self_check()
print("SELF-CHECK", round(time.monotonic() - _started, 1), _found.summary())
print(repr(_found))
"""


def measure(assignment: str) -> tuple[float, str]:
    with tempfile.TemporaryDirectory(prefix="tfgrader-bench-") as scratch:
        folder = Path(shutil.copytree(COURSE / "release" / assignment, Path(scratch) / assignment))
        nb = samples.reference(COURSE, assignment)
        nb.cells = [c for c in nb.cells if "tfgrader.check(" not in c.source and "self_check" not in c.source]
        nb.cells.append(new_code_cell(MEASURE))
        os.environ["NBGRADER_EXECUTION"] = "autograde"  # the short training of autograde mode
        started = time.monotonic()
        NotebookClient(nb, timeout=900, resources={"metadata": {"path": str(folder)}}).execute()
        notebook_s = time.monotonic() - started
    line = next(o["text"] for o in nb.cells[-1].outputs if "SELF-CHECK" in o.get("text", ""))
    return notebook_s, line.split("SELF-CHECK", 1)[1].strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS))
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for assignment in args.assignments:
        notebook_s, found = measure(assignment)
        print(f"{assignment:<30} notebook {notebook_s:6.1f} s   self-check {found}", flush=True)


if __name__ == "__main__":
    main()

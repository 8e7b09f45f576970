"""Benchmark: grading at this checkout against grading at another commit, in one run.

Checks the other commit out beside this one (``git worktree``), gives it this
checkout's Python environment (hard links, with its editable install pointed
at the other checkout), then alternates: for each assignment and round, the
reference is autograded through nbgrader once by each, sandbox on. Prints
each median wall time and their ratio (this checkout / the other). Timing
lives here, never in the tests.

    .venv/bin/python bench/against_commit.py COMMIT [ASSIGNMENT ...] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from tfgrader.instructor.course import ASSIGNMENTS

HERE = Path(__file__).resolve().parents[1]
ONE = """
import json, sys, time
sys.path.insert(0, "bench")
from scratch import scratch_course
try:
    from tfgrader.instructor.authoring import samples
    from tfgrader.instructor.batch import schedule
except ImportError:  # a commit before the package was split by job
    from tfgrader.instructor import pipeline as schedule, samples
assignment = sys.argv[1]
with scratch_course(assignment) as course:
    samples.submit(course, assignment, "reference", samples.reference(course, assignment))
    started = time.monotonic()
    run = schedule.autograde(course, assignment, "reference")
    print(json.dumps({"ok": run.ok, "error": run.error, "seconds": time.monotonic() - started}))
"""


def other_checkout(commit: str, folder: Path) -> Path:
    """``commit`` checked out in ``folder``, with a Python environment that imports its tfgrader."""
    subprocess.run(["git", "-C", str(HERE), "worktree", "add", "--detach", str(folder), commit], check=True,
                   capture_output=True)
    subprocess.run(["cp", "-al", str(HERE / ".venv"), str(folder / ".venv")], check=True)
    for path in (folder / ".venv").glob("lib/python*/site-packages/__editable___tfgrader_*finder.py"):
        text = path.read_text().replace(repr(str(HERE / "tfgrader")), repr(str(folder / "tfgrader")))
        path.unlink()  # a new file: the hard link to this checkout's stays as it is
        path.write_text(text)
    return folder


def grade(checkout: Path, assignment: str) -> float:
    proc = subprocess.run([str(checkout / ".venv" / "bin" / "python"), "-c", ONE, assignment], cwd=checkout,
                          capture_output=True, text=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else {}
    if not result.get("ok"):
        sys.exit(f"grading {assignment} at {checkout} failed: {result.get('error') or proc.stderr[-2000:]}")
    return result["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("commit")
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS))
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tfgrader-against-")) / "checkout"
    try:
        other = other_checkout(args.commit, folder)
        print(f"{'assignment':<30} {args.commit[:10]:>10} {'here':>8} {'ratio':>6}")
        for assignment in args.assignments:
            times: dict[str, list[float]] = {"other": [], "here": []}
            for _ in range(args.rounds):
                times["other"].append(grade(other, assignment))
                times["here"].append(grade(HERE, assignment))
            then, now = statistics.median(times["other"]), statistics.median(times["here"])
            print(f"{assignment:<30} {then:9.1f}s {now:7.1f}s {now / then:6.2f}", flush=True)
    finally:
        subprocess.run(["git", "-C", str(HERE), "worktree", "remove", "--force", str(folder)], capture_output=True)
        shutil.rmtree(folder.parent, ignore_errors=True)


if __name__ == "__main__":
    main()

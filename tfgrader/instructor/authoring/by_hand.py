"""A check cell run by hand, as an instructor writing ``source/`` does.

``tfgrader.check(assignment, name)`` in the student's kernel never imports the
instructor side: it asks this module, in a process of its own, which objects
the grader wants (``exports``), writes them from the notebook itself, then asks
for the verdict (``grade``), which the sandboxed grading process gives exactly
as in autograding::

    python -m tfgrader.instructor.authoring.by_hand exports ASSIGNMENT
    python -m tfgrader.instructor.authoring.by_hand grade ASSIGNMENT EXPORT_DIR OUT
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NO_COURSE = 3  # exit status of ``exports`` where no course directory is found (a student's copy)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tfgrader.instructor.authoring.by_hand")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("exports").add_argument("assignment")
    grade = commands.add_parser("grade")
    for name in ("assignment", "export_dir", "out"):
        grade.add_argument(name)
    args = parser.parse_args(argv)

    from tfgrader.instructor.course import CourseLayout

    try:
        layout = CourseLayout.found()
    except FileNotFoundError:
        return NO_COURSE
    module = layout.grader(args.assignment)
    if args.command == "exports":
        from tfgrader.wire.declarations import requested

        print(json.dumps(requested(module)))
        return 0
    from tfgrader.instructor.confine import verdict

    verdict.grade(module, Path(args.export_dir)).write(Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

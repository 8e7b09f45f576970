"""The clean grading process: ``python -I -m tfgrader.grading MODULE EXPORT_DIR --out FILE``.

It runs one assignment's hidden grader module under pytest against the files a
submission exported, and writes :data:`tfgrader.wire.RESULTS`. The instructor
side starts it in a sandbox that sees only those files (see
:mod:`tfgrader.instructor.confine.verdict`). It never imports the student's code; TensorFlow starts
once here for all checks.

With ``--wait``, it starts early: it imports pytest and what the grader module
imports (TensorFlow, mostly) while the student's notebook is still running,
then waits for ``go`` on its standard input before it reads the export folder.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
import sys
import time
from pathlib import Path

from tfgrader import wire
from tfgrader.wire.declarations import declared_checks, parse

NOT_RUN = "This check did not run because the grader failed to start; please tell your instructor."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("module", type=Path, help="the grader module, e.g. graders/test_01_keras_overview.py")
    parser.add_argument("export_dir", type=Path, help="the submission's exported objects")
    parser.add_argument("--out", type=Path, required=True, help="results file (JSON)")
    parser.add_argument("--wait", action="store_true",
                        help="import first, then wait for a line 'go' on stdin before grading")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.wait:
        warm_up(args.module)
        if sys.stdin.readline().strip() != "go":
            return 0  # not needed after all (the notebook did not run to its end)
    started = time.monotonic()
    import pytest

    pytest.main([
        str(args.module), "-q", "--no-header", "-p", "no:cacheprovider", "-p", "tfgrader.grading.plugin",
        "-c", os.devnull, "--rootdir", str(args.module.parent),
        f"--tfgrader-exports={args.export_dir}", f"--tfgrader-out={args.out}", f"--tfgrader-module={args.module}",
    ])
    complete_results(args.module, args.out, time.monotonic() - started)
    return 0


def warm_up(module: Path) -> None:
    """Import pytest, the plugin and the modules ``module`` imports, without running it."""
    names = ["pytest", "tfgrader.grading.plugin"]
    for node in parse(module.read_text()).body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - pytest reports it again, as the checks' result
            pass


def complete_results(module: Path, out: Path, duration_s: float) -> None:
    """Make sure every declared check has a result, even if pytest broke early."""
    results = wire.Results.read(out, declared_checks(module), NOT_RUN)
    results.duration_s = round(duration_s, 2)
    results.write(out)


if __name__ == "__main__":
    raise SystemExit(main())

"""The verdict: :class:`TrustedVerdict`, the second of the autograding
preprocessors (see :mod:`tfgrader.instructor.preprocessors`). It grades the
export in the confined grading process that :class:`SandboxedExecute` started
(:mod:`tfgrader.instructor.confine.verdict`), keeps the results beside the
autograded notebook and writes each check cell's outputs itself: ``Passed:
...`` or the student's message as an error. Whatever the kernel printed,
raised, patched or wrote, the verdict comes from here.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool

from tfgrader import wire
from tfgrader.instructor.confine import verdict
from tfgrader.instructor.confine.limits import GraderLimits
from tfgrader.instructor.preprocessors.execute import check_name, error_output, grader_of
from tfgrader.instructor.preprocessors.handoff import Handoff
from tfgrader.wire import CheckResult, Results, messages
from tfgrader.wire.declarations import declared_checks


class TrustedVerdict(NbGraderPreprocessor, GraderLimits):
    """Grade the export in a confined process and write every check cell's outputs.
    Its limits are the traits of :class:`~tfgrader.instructor.confine.limits.GraderLimits`."""

    keep_exports = Bool(False, help="Keep the files the grader saw in autograded/<student>/<id>/.tfgrader/"
                                     "export, to inspect or rerun a verdict.").tag(config=True)

    def preprocess(self, nb, resources):
        module = grader_of(resources)
        workdir = Path(resources.get("metadata", {}).get("path") or ".")
        with tempfile.TemporaryDirectory(prefix="tfgrader-kept-") as kept:
            keep = Path(kept) / "export" if self.keep_exports else None
            results = self.results(module, Handoff.take(resources), keep)
            verdict.record(results, workdir / wire.EXPORT_DIRNAME)
            if keep is not None and keep.is_dir():
                shutil.move(str(keep), workdir / wire.EXPORT_DIRNAME / "export")
        for cell in nb.cells:
            if check_name(cell):
                cell.outputs = verdict_outputs(check_name(cell)[1], results)
        return nb, resources

    def results(self, module: Path, handoff: Handoff | None, keep: Path | None = None) -> Results:
        checks = declared_checks(module)
        if handoff is None:
            return Results.failing(checks, messages.NOT_RUN_BY_COURSE)
        try:
            if handoff.stopped or not handoff.exported:
                reason = handoff.stopped or "the notebook did not run to its end"
                return Results.failing(checks, f"Nothing could be graded: {reason}.", sandboxed=handoff.sandboxed,
                                       stopped=reason)
            grading, handoff.grading = handoff.grading, None
            if grading is None:
                grading = verdict.Grading(module, sandboxed=handoff.sandboxed, limits=self.limits(module))
            results = grading.grade(handoff.export, timeout_s=self.grader_timeout, keep=keep)
            results.limits_by, results.peak_memory_bytes = handoff.limits_by, handoff.peak_memory_bytes
            return results
        finally:
            handoff.close()


def verdict_outputs(name: str, results: Results) -> list[NotebookNode]:
    """The verdict, then the check's plot (if it drew one) as an image."""
    result = results.check(name)
    outputs = [_verdict_output(name, result)]
    figure = wire.valid_figure(result.figure) if result is not None else None
    if figure:
        outputs.append(NotebookNode(output_type="display_data", metadata={},
                                    data={"image/png": figure, "text/plain": f"<plot of the check {name}>"}))
    return outputs


def _verdict_output(name: str, result: CheckResult | None) -> NotebookNode:
    if result is None:
        return error_output("CheckFailed", messages.no_such_check(name))
    if not result.passed:
        return error_output("CheckFailed", result.message or messages.DID_NOT_PASS)
    return NotebookNode(output_type="stream", name="stdout", text=messages.passed(name, result.max_score) + "\n")

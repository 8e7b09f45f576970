"""The nbgrader settings every course built on tfgrader needs.

A course's ``nbgrader_config.py`` calls :func:`configure` and then sets what
is its own (limits, timeouts)::

    from tfgrader.instructor.preprocessors.config import configure
    c = get_config()
    configure(c, course_id="tf-keras-week")
    c.SandboxedExecute.memory_limit = "4G"
"""

from __future__ import annotations

import os
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties, CheckCellMetadata, ClearHiddenTests, ClearOutput, DeduplicateIds, GetGrades,
    IgnorePattern, LimitOutput, OverwriteKernelspec, SaveAutoGrades)

from tfgrader import wire
from tfgrader.instructor.preprocessors.execute import SandboxedExecute
from tfgrader.instructor.preprocessors.feedback import CheckSummary
from tfgrader.instructor.preprocessors.restore import RestoreCells
from tfgrader.instructor.preprocessors.verdict import TrustedVerdict


def configure(c, course_id: str) -> None:
    """Set up nbgrader's config object ``c`` for a tfgrader course rooted at the working directory."""
    # Kernels and graders inherit this: TensorFlow's start-up chatter stays out of notebooks.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    c.CourseDirectory.course_id = course_id
    # Paths stay relative to the course folder, so the course works from any checkout.
    c.CourseDirectory.root = "."
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", wire.EXPORT_DIRNAME, "training_*"]
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

    # The student's code runs in a bubblewrap sandbox (no network, only its own
    # folder, memory/process/output limits). Check cells never run in the
    # kernel: TrustedVerdict grades the exported objects in a confined process
    # and writes their outputs, before nbgrader reads them (SaveAutoGrades).
    c.Autograde.create_student = True
    c.Autograde.autograde_preprocessors = [
        SandboxedExecute, TrustedVerdict, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
        SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
    ]
    # A kernel that swallows the interrupt must not abort the whole autograde run.
    c.Execute.raise_on_iopub_timeout = False
    # Deleted grade cells come back (and are graded); edited, retyped or moved
    # ones are restored from the gradebook; unknown ones lose their grade mark.
    c.Autograde.sanitize_preprocessors = [
        ClearOutput, DeduplicateIds, OverwriteKernelspec, RestoreCells, CheckCellMetadata]
    c.OverwriteCells.add_missing_cells = True

    # Feedback opens with every check's points and message (CheckSummary) and
    # never shows the hidden test code; the list at its top names each check.
    c.GenerateFeedback.preprocessors = [ClearHiddenTests, GetGrades, CheckSummary, CSSHTMLHeaderPreprocessor]
    c.HTMLExporter.template_name = "tfgrader_feedback"
    c.HTMLExporter.template_file = "named_checks.html.j2"  # extends nbgrader's feedback page (its index.html.j2)
    c.HTMLExporter.extra_template_basedirs = [str(Path(__file__).parent / "templates"), _nbgrader_templates()]


def _nbgrader_templates() -> str:
    """nbgrader's own templates, which ours extends (nbgrader adds them only where the config names none)."""
    import nbgrader

    return str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates")

"""nbgrader configuration of the course. nbgrader reads it from the working
directory only, so run nbgrader from this folder (``tfgrader`` does)."""

import os

from nbgrader.preprocessors import (
    AssignLatePenalties, CheckCellMetadata, ClearHiddenTests, GetGrades, IgnorePattern,
    LimitOutput, SaveAutoGrades)
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor

from tfgrader.course import COURSE_ID
from tfgrader.instructor.nbgrader_ext import SandboxedExecute, TrustedVerdict

# Kernels inherit this: TensorFlow's start-up chatter stays out of notebooks.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

c.CourseDirectory.course_id = COURSE_ID
# Paths stay relative to this folder, so the course works from any checkout.
c.CourseDirectory.root = "."
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".tfgrader", "training_*"]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograding: the student's code runs in a bubblewrap sandbox (no network,
# only its own folder, memory/process/output limits), with generous per-cell
# time (a full training run fits in it) and a bound on the whole notebook.
# Check cells never run in the kernel: TrustedVerdict grades the exported
# objects in a confined process and writes their outputs, before nbgrader
# reads them (SaveAutoGrades).
c.Autograde.create_student = True
c.Autograde.autograde_preprocessors = [
    SandboxedExecute, TrustedVerdict, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
]
c.Execute.timeout = 300
c.SandboxedExecute.notebook_timeout = 900
c.SandboxedExecute.memory_limit = "4G"
c.SandboxedExecute.max_processes = 64
# Deleted grade cells come back (and are graded); edited ones are restored.
c.OverwriteCells.add_missing_cells = True
# A kernel that swallows the interrupt must not abort the whole autograde run.
c.Execute.raise_on_iopub_timeout = False

# Feedback shows each check's message but never the hidden test code.
c.GenerateFeedback.preprocessors = [ClearHiddenTests, GetGrades, CSSHTMLHeaderPreprocessor]

"""nbgrader configuration of the course. nbgrader reads it from the working
directory only, so run nbgrader from this folder (``tfgrader`` does)."""

import os

from nbgrader.preprocessors import (
    AssignLatePenalties, CheckCellMetadata, ClearHiddenTests, GetGrades, IgnorePattern,
    LimitOutput, SaveAutoGrades)
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor

from tfgrader.course import COURSE_ID
from tfgrader.instructor.nbgrader_ext import BoundedExecute

# Kernels inherit this: TensorFlow's start-up chatter stays out of notebooks.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

c.CourseDirectory.course_id = COURSE_ID
# Paths stay relative to this folder, so the course works from any checkout.
c.CourseDirectory.root = "."
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".tfgrader", "training_*"]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograding: a student's code gets generous per-cell time (a full training
# run fits in it) and the notebook as a whole is bounded too.
c.Autograde.create_student = True
c.Autograde.autograde_preprocessors = [
    BoundedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
]
c.Execute.timeout = 300
c.BoundedExecute.notebook_timeout = 900
# A kernel that swallows the interrupt must not abort the whole autograde run.
c.Execute.raise_on_iopub_timeout = False

# Feedback shows each check's message but never the hidden test code.
c.GenerateFeedback.preprocessors = [ClearHiddenTests, GetGrades, CSSHTMLHeaderPreprocessor]

"""Autograded TensorFlow/Keras course: data layer, grading runtime and CLI.

The package is split along the trust boundary: :mod:`tfgrader.student` runs in
the student's kernel, :mod:`tfgrader.grading` is the clean grading process,
:mod:`tfgrader.instructor` orchestrates (nbgrader preprocessors, sandbox,
pipeline, CLI), and :mod:`tfgrader.wire` is what crosses between them.
Notebooks use :func:`autograding` (is nbgrader running me?), in hidden
cells :func:`check`, and :func:`self_check` to run the public checks before
submitting.
"""

from tfgrader.student import autograding, check, self_check

__all__ = ["autograding", "check", "self_check"]

"""Autograded TensorFlow/Keras course: data layer, grading runtime and CLI.

Notebooks use :func:`autograding` (is nbgrader running me?) and, in hidden
cells, :func:`check`; everything else lives in submodules.
"""

from tfgrader.student import autograding, check

__all__ = ["autograding", "check"]

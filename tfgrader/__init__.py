"""Autograded TensorFlow/Keras course: data layer, grading runtime and CLI.

The package is split along the trust boundary: :mod:`tfgrader.student` runs in
the student's kernel, :mod:`tfgrader.grading` is the clean grading process,
:mod:`tfgrader.instructor` orchestrates (nbgrader preprocessors, sandbox,
batches, outputs, CLI), and :mod:`tfgrader.wire` is what crosses between them.
Notebooks use :func:`autograding` (is nbgrader running me?), in hidden
cells :func:`check`, and :func:`self_check` to run the public checks before
submitting. Importing ``tfgrader`` loads none of its parts: the grading
process and the instructor side never load the student's.
"""

__all__ = ["autograding", "check", "self_check"]


def __getattr__(name: str):
    if name in __all__:
        from tfgrader import student

        return getattr(student, name)
    raise AttributeError(f"module 'tfgrader' has no attribute {name!r}")

"""What :class:`~tfgrader.instructor.preprocessors.execute.SandboxedExecute`
hands :class:`~tfgrader.instructor.preprocessors.verdict.TrustedVerdict`:
one object in nbconvert's ``resources``, which both preprocessors of one
notebook's autograding share (nbgrader runs them one after the other, in one process).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from tfgrader.instructor.confine.verdict import Grading

KEY = "tfgrader"  # its key in resources


@dataclass
class Handoff:
    """How the notebook's run went, and the grading process started beside it."""

    scratch: Path  # the run's scratch folder: export/ (what the kernel handed over), kernel/, work/
    sandboxed: bool
    grading: Grading | None = None  # started while the kernel ran, waiting for the export
    exported: bool = False  # the export after the last cell ran to its end
    stopped: str | None = None  # why the notebook was stopped, in a student's words
    limits_by: str = "none (not sandboxed)"
    peak_memory_bytes: int | None = None

    @property
    def export(self) -> Path:
        return self.scratch / "export"

    def put(self, resources: dict) -> Handoff:
        resources[KEY] = self
        return self

    @staticmethod
    def take(resources: dict) -> Handoff | None:
        """The hand-off of this notebook's run, removed from ``resources``; None when it was not run by
        SandboxedExecute."""
        found = resources.pop(KEY, None)
        return found if isinstance(found, Handoff) else None

    def close(self) -> None:
        """End the grading process if it still waits, and remove the scratch folder."""
        if self.grading is not None:
            self.grading.close()
            self.grading = None
        shutil.rmtree(self.scratch, ignore_errors=True)

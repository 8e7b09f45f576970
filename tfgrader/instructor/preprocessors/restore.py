"""The sanitizing pass of autograding: grade cells restored from the gradebook."""

from __future__ import annotations

from nbgrader.preprocessors import OverwriteCells


class RestoreCells(OverwriteCells):
    """nbgrader's OverwriteCells, for the sanitizing pass: a cell that claims
    to be graded but that the gradebook does not know (a student's own
    "grade cell") becomes a plain cell. (nbgrader 0.9 only drops its grade_id,
    and then fails the whole notebook when it adds back deleted grade cells.)"""

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if "nbgrader" in cell.metadata and not cell.metadata["nbgrader"].get("grade_id"):
            del cell.metadata["nbgrader"]
        return cell, resources

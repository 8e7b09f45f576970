"""The feedback page: every check by name, its points and its message, first."""

from __future__ import annotations

import html

from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor

from tfgrader.wire.declarations import check_of_grade_id


class CheckSummary(NbGraderPreprocessor):
    """Feedback: a table at the top of the notebook with every check by name,
    its points and its message, so a student sees at once what to fix.

    Runs in ``generate_feedback`` after nbgrader's ``GetGrades``, which puts
    each grade cell's score in its metadata. Messages are escaped: they may
    quote the student's own values.
    """

    def preprocess(self, nb, resources):
        rows = []
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if not meta.get("grade") or cell.cell_type != "code":
                continue
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            score, points = meta.get("score") or 0, meta.get("points") or 0
            message = errors[-1].get("evalue", "") if errors else ("Passed." if score >= points else "")
            name = check_of_grade_id(meta.get("grade_id", ""))
            mark = "✔" if score >= points else "✘"
            rows.append(f"<tr><td>{mark} {html.escape(name)}</td><td>{score:g} / {points:g}</td>"
                        f"<td>{html.escape(message)}</td></tr>")
        if rows:
            table = ('<table class="tfgrader-checks"><thead><tr><th>check</th><th>points</th><th>message</th></tr>'
                     f"</thead><tbody>{''.join(rows)}</tbody></table>")
            nb.cells.insert(0, new_markdown_cell(f"## Your checks\n\n{table}\n"))
        return nb, resources

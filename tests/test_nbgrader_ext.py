"""Tests for tfgrader.instructor.nbgrader_ext.BoundedExecute on tiny in-memory notebooks.

The notebooks run in a real python3 kernel but import nothing heavy.
"""

from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tfgrader.instructor.nbgrader_ext import BoundedExecute

# A loop that a kernel interrupt cannot stop. (The loop
# ``while True: try: pass / except BaseException: pass`` does not qualify:
# CPython checks for the interrupt on the backward jump, outside the try.)
ENDLESS = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"

@pytest.fixture
def execute(tmp_path):
    """Run ``sources`` (str: code cell, ("md", text): markdown) through BoundedExecute; return the cells."""

    def _execute(*sources, timeout=10, notebook_timeout=60, iopub_timeout=4):
        cells = [new_markdown_cell(s[1]) if isinstance(s, tuple) else new_code_cell(s) for s in sources]
        nb = new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        preprocessor = BoundedExecute(timeout=timeout, notebook_timeout=notebook_timeout,
                                      iopub_timeout=iopub_timeout, raise_on_iopub_timeout=False,
                                      kernel_name="python3")
        nb, _ = preprocessor.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
        return nb.cells

    return _execute


def assert_not_run(cell, limit: str) -> None:
    assert len(cell.outputs) == 1, cell.outputs
    output = cell.outputs[0]
    assert output.output_type == "error" and output.ename == "NotRun"
    assert output.evalue.startswith("This cell was not run: ") and limit in output.evalue


def test_normal_notebook(execute, tmp_path):
    """Does a notebook within its limits run every cell, in its folder, with normal outputs?"""
    cells = execute("x = 20", ("md", "Some text"), "print(x + 1)",
                    "from pathlib import Path\nprint(Path.cwd())", "x * 2", "1 / 0")
    assert cells[0].outputs == [] and "outputs" not in cells[1]
    assert cells[2].outputs[0].text == "21\n"
    assert cells[3].outputs[0].text.strip() == str(tmp_path)
    assert cells[4].outputs[0].data["text/plain"] == "40"
    assert [o.ename for o in cells[5].outputs] == ["ZeroDivisionError"]


def test_cell_timeout_skips_the_rest(execute):
    """After a cell times out in a loop that ignores the interrupt, is every later code cell marked not run?"""
    cells = execute("a = 1", ENDLESS, ("md", "Next part"), "b = 2", "print(a)",
                    timeout=2, iopub_timeout=1)
    assert cells[0].outputs == []
    assert any(o.output_type == "error" and "Timeout" in o.ename for o in cells[1].outputs), cells[1].outputs
    assert "outputs" not in cells[2]
    for cell in cells[3:]:
        assert_not_run(cell, "limit per cell")


def test_notebook_budget_skips_the_rest(execute):
    """Once the notebook has used its time budget, are the remaining code cells marked not run?"""
    cells = execute("import time; time.sleep(1.5)", "x = 1", "print(x)", notebook_timeout=1)
    # (the budget counts from kernel start-up, so the first cell may be skipped too)
    for cell in cells[1:]:
        assert_not_run(cell, "its 1 s limit")


def test_timed_out_cell_gets_error_output(execute):
    """Does a cell that exceeds the per-cell timeout get a timeout error instead of stalling the run?"""
    cells = execute(ENDLESS, timeout=1, iopub_timeout=1)
    assert [o.ename for o in cells[0].outputs if o.output_type == "error"] == ["CellTimeoutError"]

"""nbgrader preprocessors that the course's ``nbgrader_config.py`` plugs in.

:class:`BoundedExecute` is nbgrader's ``Execute`` with a bound on the whole
notebook. nbgrader only has a per-cell timeout: a student's loop that
swallows the interrupt keeps the kernel busy, and every later cell then
waits out its own timeout too. Here, once one cell has timed out or the
notebook has used its time budget, the remaining code cells are not run;
each gets an error output that says why, so its checks score 0 with a
message instead of stalling the batch.
"""

from __future__ import annotations

import time

from jupyter_core.utils import run_sync
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Integer


class BoundedExecute(Execute):
    """Execute a notebook with a per-cell timeout and a whole-notebook budget."""

    notebook_timeout = Integer(
        900, help="Seconds the whole notebook may run before its remaining cells are skipped."
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._started = time.monotonic()
        self._stop_reason: str | None = None
        return super().preprocess(nb, resources, km=km)

    async def async_execute_cell(self, cell: NotebookNode, cell_index: int, execution_count=None,
                                 store_history: bool = True) -> NotebookNode:
        if cell.cell_type == "code" and self._stop_reason is None and self._over_budget():
            self._stop_reason = (f"the notebook ran longer than its {self.notebook_timeout} s limit. "
                                 "Shorten training or remove endless loops")
        if cell.cell_type == "code" and self._stop_reason is not None:
            cell.outputs = [_not_run(self._stop_reason)]
            return cell
        return await super().async_execute_cell(cell, cell_index, execution_count, store_history)

    # nbclient binds execute_cell to its own coroutine when its class is
    # defined; rebind it so nbconvert's preprocess_cell reaches the override.
    execute_cell = run_sync(async_execute_cell)

    async def _async_handle_timeout(self, timeout: int, cell: NotebookNode | None = None):
        # After a timeout the kernel may never come back (a loop that catches
        # KeyboardInterrupt), so nothing after this cell is run.
        self._stop_reason = (f"an earlier cell ran longer than the {timeout} s limit per cell. "
                             "Look for an endless loop or training far longer than asked")
        return await super()._async_handle_timeout(timeout, cell)

    def _over_budget(self) -> bool:
        return time.monotonic() - self._started > self.notebook_timeout


def _not_run(reason: str) -> NotebookNode:
    message = f"This cell was not run: {reason}."
    return NotebookNode(output_type="error", ename="NotRun", evalue=message, traceback=[f"NotRun: {message}"])

"""Running the student's notebook: :class:`SandboxedExecute`, the first of
the autograding preprocessors (see :mod:`tfgrader.instructor.preprocessors`).

It runs the student's cells in a kernel confined by bubblewrap
(:mod:`tfgrader.instructor.confine.sandbox`), bounded per cell, for the whole
notebook, in memory, processes and output. Check cells (grade cells that call
``tfgrader.check``) are not sent to the kernel. After the last cell it asks
the kernel to export what the grader needs, then shuts the kernel down; every
process it started dies with it. While the kernel runs, the grading process
starts beside it and imports TensorFlow, so that the verdict needs no
start-up of its own; both go to :class:`TrustedVerdict` in a :class:`Handoff`.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade
from traitlets import Any, Bool

from tfgrader import wire
from tfgrader.instructor.confine import sandbox
from tfgrader.instructor.confine.limits import GraderLimits, Limits, NotebookLimits, configured, parse_size
from tfgrader.instructor.confine.verdict import Grading
from tfgrader.instructor.confine.watchdog import Watchdog
from tfgrader.instructor.course import CourseLayout
from tfgrader.instructor.preprocessors.handoff import Handoff
from tfgrader.wire import messages
from tfgrader.wire.declarations import check_of_code, requested

WORKDIR = "/home/student/work"
EXPORT_INSIDE = "/home/student/.tfgrader-export"


def check_name(cell: NotebookNode) -> tuple[str, str] | None:
    """(assignment, check) for a check cell: a code grade cell calling ``tfgrader.check``."""
    if cell.cell_type != "code" or not is_grade(cell):
        return None
    return check_of_code(cell.source)


def grader_of(resources: dict) -> Path | None:
    """The grader module of the assignment nbgrader is autograding, or None (not autograding)."""
    if "nbgrader" not in resources:
        return None
    return CourseLayout.found().grader(resources["nbgrader"]["assignment"])


class SandboxedKernelManager(AsyncKernelManager):
    """A Python kernel started inside a bubblewrap sandbox, over Unix sockets.

    The notebook's kernelspec is ignored: the kernel is always this Python's
    ipykernel. Interrupts go as messages (a signal would stop at bubblewrap).
    """

    sandbox_spec = Any(help="the tfgrader.instructor.confine.sandbox.Sandbox to run in")

    @property
    def kernel_spec(self) -> KernelSpec:
        # What C libraries write straight to the process's stderr (TensorFlow's start-up lines:
        # "oneDNN custom operations are on", absl's warning) goes to the grading log, not into
        # the notebook; Python's own warnings and prints still reach the cells.
        return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                                "--IPKernelApp.capture_fd_output=False"],
                          display_name="Python 3 (sandboxed)", language="python", interrupt_mode="message")

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        return self.sandbox_spec.command(super().format_kernel_cmd(extra_arguments))


class SandboxedExecute(Execute, NotebookLimits):
    """Execute a student's notebook confined, bounded, and without its check cells.
    Its limits are the traits of :class:`~tfgrader.instructor.confine.limits.NotebookLimits`."""

    sandbox = Bool(True, help="Run the student's kernel and the grader in bubblewrap. Turning it off is "
                              "logged loudly and recorded in every result.").tag(config=True)
    def grader_limits(self, module: Path | None = None) -> Limits:
        """The grading process's limits, as the course configures them for TrustedVerdict."""
        return configured(GraderLimits, self.config, "TrustedVerdict").limits(module)

    def preprocess(self, nb, resources=None, km=None):
        resources = resources if resources is not None else {}
        self._started, self._stop_reason, self._printed, self._watchdog = time.monotonic(), None, 0, None
        self._spec: sandbox.Sandbox | None = None
        module = grader_of(resources)
        self._limits = self.limits(module)
        self._scratch = Path(tempfile.mkdtemp(prefix="tfgrader-run-"))
        for part in ("export", "kernel"):
            (self._scratch / part).mkdir()
        self._sandboxed = sandbox.sandbox_wanted(self.sandbox)
        if not self._sandboxed:
            self.log.warning("SANDBOX OFF: the student's code runs unconfined, with this user's rights. "
                             "The results will say so.")
        self._handoff = Handoff(self._scratch, self._sandboxed).put(resources)
        if module is not None:  # autograding: start the grading process now, to wait for the export
            self._handoff.grading = Grading(module, sandboxed=self._sandboxed, limits=self.grader_limits(module))
        try:
            self._run_notebook(nb, resources, km)
        except BaseException:
            Handoff.take(resources)
            self._handoff.close()
            raise
        if module is None:  # no verdict follows to read the export and remove the scratch folder
            Handoff.take(resources)
            self._handoff.close()
        return self.nb, self.resources

    def _run_notebook(self, nb, resources, km) -> None:
        # nbconvert's ExecutePreprocessor.preprocess, with the export after the last cell.
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        with self.setup_kernel():
            info = self.wait_for_reply(self.kc.kernel_info())
            self.nb.metadata["language_info"] = info["content"]["language_info"]
            for index, cell in enumerate(self.nb.cells):
                self.preprocess_cell(cell, resources, index)
            run_sync(self._export)()
        self.set_widgets_metadata()

    def create_kernel_manager(self):
        scratch = self._scratch
        if not self._sandboxed:
            self.km = AsyncKernelManager(kernel_name="python3", config=self.config)
            return self.km
        # The kernel works in a copy of the notebook's folder: no host path of the course or
        # the student shows inside, the disk limit counts all it writes, and nothing it
        # writes is kept but what the export hands over.
        workdir = self.resources.get("metadata", {}).get("path") or os.getcwd()
        shutil.copytree(workdir, scratch / "work", symlinks=True, ignore=_not_copied(scratch))
        self._spec = spec = sandbox.Sandbox(
            read_only=sandbox.data_binding(),
            writable={WORKDIR: str(scratch / "work"), EXPORT_INSIDE: str(scratch / "export"),
                      str(scratch / "kernel"): str(scratch / "kernel")},
            env={"NBGRADER_EXECUTION": os.environ.get("NBGRADER_EXECUTION", "autograde"),
                 **wire.QUIET_ENV, **sandbox.data_env()},
            chdir=WORKDIR, limits=self._limits)
        self.km = SandboxedKernelManager(config=self.config, sandbox_spec=spec, transport="ipc",
                                         ip=str(scratch / "kernel" / "ipc"),
                                         connection_file=str(scratch / "kernel" / "kernel.json"))
        return self.km

    async def async_start_new_kernel(self, **kwargs):
        await super().async_start_new_kernel(**kwargs)
        process = getattr(self.km.provisioner, "process", None)
        if process is not None and self._spec is not None:
            self._handoff.limits_by = self._spec.enforced_by()
            self.log.info("Student's kernel: limits held by %s", self._handoff.limits_by)
            self._watchdog = Watchdog(process.pid, self._limits, sandbox=self._spec)
            self._watchdog.start()

    start_new_kernel = run_sync(async_start_new_kernel)

    async def async_execute_cell(self, cell: NotebookNode, cell_index: int, execution_count=None,
                                 store_history: bool = True) -> NotebookNode:
        if cell.cell_type != "code":
            return cell
        if check_name(cell):
            cell.outputs = []  # written by TrustedVerdict, never by the kernel
            return cell
        self._check_budget()
        if self._stop_reason is not None:
            cell.outputs = [error_output("NotRun", f"This cell was not run: {self._stop_reason}.")]
            return cell
        try:
            cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            stopped = self._watchdog is not None and self._watchdog.reason
        except DeadKernelError:
            stopped = True
        if stopped:
            self._stop_reason = self._death()
            cell.outputs.append(error_output("KernelDied", f"The kernel stopped while running this cell: "
                                                     f"{self._stop_reason}."))
        return cell

    # nbclient binds execute_cell to its own coroutine when its class is
    # defined; rebind it so nbconvert's preprocess_cell reaches the override.
    execute_cell = run_sync(async_execute_cell)

    async def _export(self) -> None:
        """Ask the kernel, once, after the student's last cell, to write what the grader needs."""
        self._check_budget()
        self._handoff.stopped = self._stop_reason
        module = grader_of(self.resources)
        if self._stop_reason is not None or module is None:  # (not autograding: no grader)
            return
        spec = json.dumps(wire.parse_exports(requested(module)))
        export_dir = EXPORT_INSIDE if self._sandboxed else str(self._scratch / "export")
        code = (f"__import__('tfgrader.student', fromlist=['_']).export_for_grading("
                f"__import__('json').loads({spec!r}), {export_dir!r})")
        cell = NotebookNode(cell_type="code", source=code, metadata={}, outputs=[], execution_count=None)
        self.nb.cells.append(cell)
        timeout, self.timeout = self.timeout, self.export_timeout
        try:
            await super().async_execute_cell(cell, len(self.nb.cells) - 1, store_history=False)
        except DeadKernelError:
            self._stop_reason = self._death()
        finally:
            self.timeout = timeout
            self.nb.cells.pop()
        self._handoff.stopped = self._stop_reason
        self._handoff.exported = self._stop_reason is None

    def _check_budget(self) -> None:
        if self._stop_reason is None and time.monotonic() - self._started > self.notebook_timeout:
            self._stop_reason = messages.notebook_too_long(self.notebook_timeout)

    def _death(self) -> str:
        if self._watchdog is not None and self._watchdog.reason:
            return self._watchdog.reason
        hit = self._spec.hit() if self._spec is not None else None
        if hit:
            return self._limits.describe(hit)
        return messages.KERNEL_DIED

    def output(self, outs, msg, display_id, cell_index):
        self._printed += len(json.dumps(msg.get("content", {})))
        limit = parse_size(self.max_output)
        if self._printed > limit:
            if self._watchdog is not None and not self._watchdog.reason:
                self._watchdog.kill(messages.limit_hit("output", limit))
            return None
        return super().output(outs, msg, display_id, cell_index)

    async def _async_handle_timeout(self, timeout: int, cell: NotebookNode | None = None):
        # After a timeout the kernel may never come back (a loop that catches
        # KeyboardInterrupt), so nothing after this cell is run.
        self._stop_reason = messages.cell_too_long(timeout)
        return await super()._async_handle_timeout(timeout, cell)

    async def _async_cleanup_kernel(self) -> None:
        # The sandbox is killed first, while its process tree is still known (whatever the notebook
        # left running, in a session of its own included), and waited for; the kernel has nothing
        # left to do, so jupyter_client's shutdown then finds it ended instead of waiting on it.
        try:
            if self._watchdog is not None:
                self._watchdog.stop()
                self._handoff.peak_memory_bytes = self._watchdog.peak_rss
                self._watchdog.kill_all()
            if self._spec is not None:
                self._spec.close()
        finally:
            await super()._async_cleanup_kernel()

    # As with execute_cell: nbclient's setup_kernel calls the synchronous twin, bound when its
    # class was defined; without this the override above would never run.
    _cleanup_kernel = run_sync(_async_cleanup_kernel)


def _not_copied(scratch: Path):
    """copytree's ``ignore``: the grading records, checkpoints of Jupyter, and the scratch folder
    itself (should the notebook's folder hold it, the copy would never end)."""
    scratch = os.path.realpath(scratch)

    def ignore(folder: str, names: list[str]) -> set[str]:
        return {name for name in names if name in (wire.EXPORT_DIRNAME, ".ipynb_checkpoints")
                or os.path.realpath(os.path.join(folder, name)) == scratch}

    return ignore


def error_output(ename: str, message: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])



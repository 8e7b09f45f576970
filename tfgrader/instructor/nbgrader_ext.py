"""nbgrader preprocessors that the course's ``nbgrader_config.py`` plugs in.
Instructor side: these run in nbgrader's process, never in the kernel.

``Autograde.autograde_preprocessors`` runs :class:`SandboxedExecute`, then
:class:`TrustedVerdict`, then nbgrader's own ``SaveAutoGrades``:

1. :class:`SandboxedExecute` runs the student's cells in a kernel confined by
   bubblewrap (:mod:`tfgrader.instructor.sandbox`), bounded per cell, for the
   whole notebook, in memory, processes and output. Check cells (grade cells
   that call ``tfgrader.check``) are not sent to the kernel. After the last
   cell it asks the kernel to export what the grader needs, then shuts the
   kernel down; every process it started dies with it. While the kernel
   runs, the grading process starts beside it and imports TensorFlow, so
   that the verdict needs no start-up of its own.
2. :class:`TrustedVerdict` grades the export in that confined grading process
   and writes each check cell's outputs itself: ``Passed: ...`` or the
   student's message as an error. Whatever the kernel printed, raised,
   patched or wrote, the verdict comes from here.
"""

from __future__ import annotations

import html
import json
import os
import re
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
from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import Execute, NbGraderPreprocessor, OverwriteCells
from nbgrader.utils import is_grade
from traitlets import Any, Bool, Float, Integer, Unicode

from tfgrader import wire
from tfgrader.course import constant, declared_checks, find_course_dir, grader_module, requested
from tfgrader.instructor import sandbox, verdict

CHECK_CALL = re.compile(r"""^\s*tfgrader\.check\(\s*["']([^"']+)["']\s*,\s*["']([^"']+)["']\s*\)""", re.MULTILINE)
WORKDIR = "/home/student/work"
EXPORT_INSIDE = "/home/student/.tfgrader-export"
STATE = "tfgrader"  # key of this extension's record in nbconvert's resources
_GRADINGS: dict[str, verdict.Grading] = {}  # scratch folder -> its grading process, started early


def check_name(cell: NotebookNode) -> tuple[str, str] | None:
    """(assignment, check) for a check cell: a code grade cell calling ``tfgrader.check``."""
    if cell.cell_type != "code" or not is_grade(cell):
        return None
    match = CHECK_CALL.search(cell.source)
    return (match.group(1), match.group(2)) if match else None


def sandbox_wanted(configured: bool) -> bool:
    """The sandbox is on unless the config or ``TFGRADER_SANDBOX=off`` turns it off."""
    return configured and os.environ.get("TFGRADER_SANDBOX", "on").lower() not in ("off", "0", "false", "no")


def parse_size(text: str | int) -> int:
    """``"4G"``, ``"512M"``, ``"10M"`` or a number of bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*", str(text), re.IGNORECASE)
    if not match:
        raise ValueError(f"not a size: {text!r} (write e.g. 4G, 512M or a number of bytes)")
    return int(float(match.group(1)) * 1024 ** " KMGT".index(match.group(2).upper() or " "))


class SandboxedKernelManager(AsyncKernelManager):
    """A Python kernel started inside a bubblewrap sandbox, over Unix sockets.

    The notebook's kernelspec is ignored: the kernel is always this Python's
    ipykernel. Interrupts go as messages (a signal would stop at bubblewrap).
    """

    sandbox_spec = Any(help="the tfgrader.instructor.sandbox.Sandbox to run in")

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


class SandboxedExecute(Execute):
    """Execute a student's notebook confined, bounded, and without its check cells."""

    sandbox = Bool(True, help="Run the student's kernel and the grader in bubblewrap. Turning it off is "
                              "logged loudly and recorded in every result.").tag(config=True)
    notebook_timeout = Integer(900, help="Seconds the whole notebook may run before its remaining cells "
                                         "are skipped.").tag(config=True)
    memory_limit = Unicode("4G", help="Memory the notebook's processes may use together.").tag(config=True)
    max_processes = Integer(64, help="Processes the notebook may run at once.").tag(config=True)
    max_file_size = Unicode("1G", help="Largest file the notebook may write.").tag(config=True)
    max_disk = Unicode("2G", help="All the notebook may write to disk, together.").tag(config=True)
    max_output = Unicode("10M", help="Output the notebook may print in all.").tag(config=True)
    cpus = Float(0, help="Cores the notebook may use, where a control group enforces it. 0: an equal share, "
                         "this machine's cores divided by the batch's workers (TFGRADER_WORKERS).").tag(config=True)
    export_timeout = Integer(300, help="Seconds the export after the last cell may take.").tag(config=True)

    def limits(self, module: Path | None = None) -> sandbox.Limits:
        """The configured limits, with what the assignment's grader ``module`` sets in ``LIMITS`` over them."""
        own = own_limits(module)
        return sandbox.Limits(memory_bytes=parse_size(own.get("memory", self.memory_limit)),
                              processes=int(own.get("processes", self.max_processes)),
                              file_bytes=parse_size(self.max_file_size),
                              disk_bytes=parse_size(own.get("disk", self.max_disk)),
                              cpus=self.cpus or sandbox.cpu_share())

    def preprocess(self, nb, resources=None, km=None):
        resources = resources if resources is not None else {}
        self._started, self._stop_reason, self._printed, self._watchdog = time.monotonic(), None, 0, None
        self._spec: sandbox.Sandbox | None = None
        module = (grader_module(find_course_dir(), resources["nbgrader"]["assignment"])
                  if "nbgrader" in resources else None)
        self._limits = self.limits(module)
        self._scratch = Path(tempfile.mkdtemp(prefix="tfgrader-run-"))
        for part in ("export", "kernel"):
            (self._scratch / part).mkdir()
        self._sandboxed = sandbox_wanted(self.sandbox)
        if not self._sandboxed:
            self.log.warning("SANDBOX OFF: the student's code runs unconfined, with this user's rights. "
                             "The results will say so.")
        self._state = resources[STATE] = {"scratch": str(self._scratch), "exported": False, "stopped": None,
                                          "sandbox": self._sandboxed, "limits_by": "none (not sandboxed)"}
        if module is not None:  # autograding: start the grading process now, to wait for the export
            _GRADINGS[str(self._scratch)] = verdict.Grading(
                module, sandboxed=self._sandboxed,
                limits=TrustedVerdict(config=self.config).limits(module))
        try:
            self._run_notebook(nb, resources, km)
        except BaseException:
            grading = _GRADINGS.pop(str(self._scratch), None)
            if grading is not None:
                grading.close()
            shutil.rmtree(self._scratch, ignore_errors=True)
            raise
        if module is None:  # no verdict follows to read the export and remove the scratch folder
            shutil.rmtree(self._scratch, ignore_errors=True)
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
                 "TF_CPP_MIN_LOG_LEVEL": "2", "PY_COLORS": "0", "CUDA_VISIBLE_DEVICES": "",
                 **sandbox.data_env()},
            chdir=WORKDIR, limits=self._limits)
        self.km = SandboxedKernelManager(config=self.config, sandbox_spec=spec, transport="ipc",
                                         ip=str(scratch / "kernel" / "ipc"),
                                         connection_file=str(scratch / "kernel" / "kernel.json"))
        return self.km

    async def async_start_new_kernel(self, **kwargs):
        await super().async_start_new_kernel(**kwargs)
        process = getattr(self.km.provisioner, "process", None)
        if process is not None and self._spec is not None:
            self._state["limits_by"] = self._spec.enforced_by()
            self.log.info("Student's kernel: limits held by %s", self._state["limits_by"])
            self._watchdog = sandbox.Watchdog(process.pid, self._limits, sandbox=self._spec)
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
            cell.outputs = [_error("NotRun", f"This cell was not run: {self._stop_reason}.")]
            return cell
        try:
            cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            stopped = self._watchdog is not None and self._watchdog.reason
        except DeadKernelError:
            stopped = True
        if stopped:
            self._stop_reason = self._death()
            cell.outputs.append(_error("KernelDied", f"The kernel stopped while running this cell: "
                                                     f"{self._stop_reason}."))
        return cell

    # nbclient binds execute_cell to its own coroutine when its class is
    # defined; rebind it so nbconvert's preprocess_cell reaches the override.
    execute_cell = run_sync(async_execute_cell)

    async def _export(self) -> None:
        """Ask the kernel, once, after the student's last cell, to write what the grader needs."""
        self._check_budget()
        self._state["stopped"] = self._stop_reason
        if self._stop_reason is not None or "nbgrader" not in self.resources:  # (not autograding: no grader)
            return
        module = grader_module(find_course_dir(), self.resources["nbgrader"]["assignment"])
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
        self._state["stopped"] = self._stop_reason
        self._state["exported"] = self._stop_reason is None

    def _check_budget(self) -> None:
        if self._stop_reason is None and time.monotonic() - self._started > self.notebook_timeout:
            self._stop_reason = (f"the notebook ran longer than its {self.notebook_timeout} s limit. "
                                 "Shorten training or remove endless loops")

    def _death(self) -> str:
        if self._watchdog is not None and self._watchdog.reason:
            return self._watchdog.reason
        hit = self._spec.hit() if self._spec is not None else None
        if hit:
            return self._limits.describe(hit)
        return ("your notebook's kernel stopped (a crash, os._exit(), or killing its own process), "
                "so the cells after it could not run")

    def output(self, outs, msg, display_id, cell_index):
        self._printed += len(json.dumps(msg.get("content", {})))
        limit = parse_size(self.max_output)
        if self._printed > limit:
            if self._watchdog is not None and not self._watchdog.reason:
                self._watchdog.kill(f"your notebook printed more than {sandbox.size_text(limit)} of output")
            return None
        return super().output(outs, msg, display_id, cell_index)

    async def _async_handle_timeout(self, timeout: int, cell: NotebookNode | None = None):
        # After a timeout the kernel may never come back (a loop that catches
        # KeyboardInterrupt), so nothing after this cell is run.
        self._stop_reason = (f"an earlier cell ran longer than the {timeout} s limit per cell. "
                             "Look for an endless loop or training far longer than asked")
        return await super()._async_handle_timeout(timeout, cell)

    async def _async_cleanup_kernel(self) -> None:
        # The sandbox is killed first, while its process tree is still known (whatever the notebook
        # left running, in a session of its own included), and waited for; the kernel has nothing
        # left to do, so jupyter_client's shutdown then finds it ended instead of waiting on it.
        try:
            if self._watchdog is not None:
                self._watchdog.stop()
                self._state["peak_memory_bytes"] = self._watchdog.peak_rss
                self._watchdog.kill_all()
            if self._spec is not None:
                self._spec.close()
        finally:
            await super()._async_cleanup_kernel()

    # As with execute_cell: nbclient's setup_kernel calls the synchronous twin, bound when its
    # class was defined; without this the override above would never run.
    _cleanup_kernel = run_sync(_async_cleanup_kernel)


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


class TrustedVerdict(NbGraderPreprocessor):
    """Grade the export in a confined process and write every check cell's outputs."""

    grader_timeout = Integer(600, help="Seconds the grading process may take.").tag(config=True)
    grader_memory_limit = Unicode("8G", help="Memory the grading process may use.").tag(config=True)

    keep_exports = Bool(False, help="Keep the files the grader saw in autograded/<student>/<id>/.tfgrader/"
                                     "export, to inspect or rerun a verdict.").tag(config=True)

    def preprocess(self, nb, resources):
        module = grader_module(find_course_dir(), resources["nbgrader"]["assignment"])
        workdir = Path(resources.get("metadata", {}).get("path") or ".")
        with tempfile.TemporaryDirectory(prefix="tfgrader-kept-") as kept:
            keep = Path(kept) / "export" if self.keep_exports else None
            results = self.results(module, resources.get(STATE), keep)
            verdict.record(results, workdir / wire.EXPORT_DIRNAME)
            if keep is not None and keep.is_dir():
                shutil.move(str(keep), workdir / wire.EXPORT_DIRNAME / "export")
        for cell in nb.cells:
            if check_name(cell):
                cell.outputs = _verdict_outputs(check_name(cell)[1], results["checks"])
        return nb, resources

    def limits(self, module: Path | None = None) -> sandbox.Limits:
        own = own_limits(module)
        return sandbox.Limits(memory_bytes=parse_size(own.get("grader_memory", self.grader_memory_limit)),
                              processes=verdict.GRADER_LIMITS.processes, cpus=sandbox.cpu_share())

    def results(self, module: Path, state: dict | None, keep: Path | None = None) -> dict:
        checks = declared_checks(module)
        if state is None:
            return wire.all_failed(checks, "This notebook was not run by the course's grader; "
                                           "please tell your instructor.")
        grading = _GRADINGS.pop(state["scratch"], None)
        try:
            if state["stopped"] or not state["exported"]:
                reason = state["stopped"] or "the notebook did not run to its end"
                return {**wire.all_failed(checks, f"Nothing could be graded: {reason}."),
                        "sandbox": state["sandbox"], "stopped": reason}
            if grading is None:
                grading = verdict.Grading(module, sandboxed=state["sandbox"], limits=self.limits(module))
            results = grading.grade(Path(state["scratch"]) / "export", timeout_s=self.grader_timeout, keep=keep)
            return {**results, "limits_by": state["limits_by"], "peak_memory_bytes": state.get("peak_memory_bytes")}
        finally:
            if grading is not None:
                grading.close()
            shutil.rmtree(state["scratch"], ignore_errors=True)


def _not_copied(scratch: Path):
    """copytree's ``ignore``: the grading records, checkpoints of Jupyter, and the scratch folder
    itself (should the notebook's folder hold it, the copy would never end)."""
    scratch = os.path.realpath(scratch)

    def ignore(folder: str, names: list[str]) -> set[str]:
        return {name for name in names if name in (wire.EXPORT_DIRNAME, ".ipynb_checkpoints")
                or os.path.realpath(os.path.join(folder, name)) == scratch}

    return ignore


def own_limits(module: Path | None) -> dict[str, str | int]:
    """The limits a grader module sets for its assignment (``LIMITS = {"memory": "8G"}``), or {}."""
    return dict(constant(module, "LIMITS") or {}) if module is not None and module.exists() else {}


def _verdict_outputs(name: str, checks: dict) -> list[NotebookNode]:
    """The verdict, then the check's plot (if it drew one) as an image."""
    outputs = [_verdict_output(name, checks)]
    figure = wire.valid_figure((checks.get(name) or {}).get("figure"))
    if figure:
        outputs.append(NotebookNode(output_type="display_data", metadata={},
                                    data={"image/png": figure, "text/plain": f"<plot of the check {name}>"}))
    return outputs


def _verdict_output(name: str, checks: dict) -> NotebookNode:
    result = checks.get(name)
    if result is None:
        return _error("CheckFailed", f"The grader has no check called {name!r}; please tell your instructor.")
    if not result["passed"]:
        return _error("CheckFailed", result["message"] or "This check did not pass.")
    points = result["points"]
    return NotebookNode(output_type="stream", name="stdout",
                        text=f"Passed: {name} ({points:g} point{'s' if points != 1 else ''})\n")


def _error(ename: str, message: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])


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
            name = str(meta.get("grade_id", "")).removeprefix("check_")
            mark = "✔" if score >= points else "✘"
            rows.append(f"<tr><td>{mark} {html.escape(name)}</td><td>{score:g} / {points:g}</td>"
                        f"<td>{html.escape(message)}</td></tr>")
        if rows:
            table = ('<table class="tfgrader-checks"><thead><tr><th>check</th><th>points</th><th>message</th></tr>'
                     f"</thead><tbody>{''.join(rows)}</tbody></table>")
            nb.cells.insert(0, new_markdown_cell(f"## Your checks\n\n{table}\n"))
        return nb, resources

"""What a submission may use, declared once, as nbgrader configuration.

A course sets these in ``nbgrader_config.py`` (``c.SandboxedExecute.memory_limit
= "4G"``, ``c.TrustedVerdict.grader_timeout = 600``), and a grader module may
raise its own assignment's in ``LIMITS = {"memory": "8G"}``. The traits below
are the only place a default is written: :class:`Limits` (what one sandbox
is given), the verdict's defaults and the batch's time budget all derive
from them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from traitlets import Float, Integer, Unicode
from traitlets.config import Configurable

from tfgrader.wire.declarations import own_limits
from tfgrader.wire.messages import limit_hit


def parse_size(text: str | int) -> int:
    """``"4G"``, ``"512M"``, ``"10M"`` or a number of bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*", str(text), re.IGNORECASE)
    if not match:
        raise ValueError(f"not a size: {text!r} (write e.g. 4G, 512M or a number of bytes)")
    return int(float(match.group(1)) * 1024 ** " KMGT".index(match.group(2).upper() or " "))


def cpu_share(workers: int | None = None) -> float:
    """An equal share of this machine's cores for each of ``workers`` sandboxes running at once
    (default: the batch's, ``TFGRADER_WORKERS``, which the batch sets for each nbgrader command)."""
    workers = workers or int(os.environ.get("TFGRADER_WORKERS") or 1)
    return len(os.sched_getaffinity(0)) / max(1, workers)


class NotebookLimits(Configurable):
    """The student's notebook: configured as ``c.SandboxedExecute.<trait>``."""

    notebook_timeout = Integer(900, help="Seconds the whole notebook may run before its remaining cells "
                                         "are skipped.").tag(config=True)
    memory_limit = Unicode("4G", help="Memory the notebook's processes may use together.").tag(config=True)
    max_processes = Integer(64, help="Processes the notebook may run at once.").tag(config=True)
    max_file_size = Unicode("1G", help="Largest file the notebook may write.").tag(config=True)
    max_disk = Unicode("2G", help="All the notebook may write to disk, together.").tag(config=True)
    max_output = Unicode("10M", help="Output the notebook may print in all.").tag(config=True)
    max_tmp = Unicode("512M", help="Size of the sandbox's private /tmp (and of its /home).").tag(config=True)
    max_tasks = Integer(4096, help="Threads and processes together, where a control group counts them "
                                   "(else the ceiling for all of a non-root grading user's).").tag(config=True)
    cpus = Float(0, help="Cores the notebook may use, where a control group enforces it. 0: an equal share, "
                         "this machine's cores divided by the batch's workers (TFGRADER_WORKERS).").tag(config=True)
    export_timeout = Integer(300, help="Seconds the export after the last cell may take.").tag(config=True)

    def limits(self, module: Path | None = None) -> Limits:
        """The configured limits, with what the assignment's grader ``module`` sets in ``LIMITS`` over them."""
        own = own_limits(module)
        return Limits(memory_bytes=parse_size(own.get("memory", self.memory_limit)),
                      processes=int(own.get("processes", self.max_processes)),
                      file_bytes=parse_size(self.max_file_size), tmp_bytes=parse_size(self.max_tmp),
                      disk_bytes=parse_size(own.get("disk", self.max_disk)), tasks=self.max_tasks,
                      cpus=self.cpus or cpu_share())


class GraderLimits(Configurable):
    """The clean grading process: configured as ``c.TrustedVerdict.<trait>``."""

    grader_timeout = Integer(600, help="Seconds the grading process may take.").tag(config=True)
    grader_memory_limit = Unicode("8G", help="Memory the grading process may use.").tag(config=True)
    grader_max_processes = Integer(512, help="Processes and threads the grading process may run "
                                             "(TensorFlow's thread pools count).").tag(config=True)

    def limits(self, module: Path | None = None) -> Limits:
        own = own_limits(module)
        return Limits(memory_bytes=parse_size(own.get("grader_memory", self.grader_memory_limit)),
                      processes=self.grader_max_processes, cpus=cpu_share())


def configured(kind: type[Configurable], config, section: str) -> Configurable:
    """``kind`` (:class:`NotebookLimits` or :class:`GraderLimits`) with the values ``config`` sets
    under ``section``, the preprocessor's name (``SandboxedExecute``, ``TrustedVerdict``): traitlets
    itself reads only the sections of a class and of its parents."""
    given = config[section] if section in config else {}
    return kind(**{name: given[name] for name in kind.class_trait_names(config=True) if name in given})


def _default(trait) -> int:
    return parse_size(trait.default_value)


@dataclass(frozen=True)
class Limits:
    """What one sandboxed process tree may use (defaults: the notebook's configuration defaults)."""

    memory_bytes: int = _default(NotebookLimits.memory_limit)
    processes: int = NotebookLimits.max_processes.default_value
    file_bytes: int = _default(NotebookLimits.max_file_size)
    tmp_bytes: int = _default(NotebookLimits.max_tmp)
    disk_bytes: int = _default(NotebookLimits.max_disk)  # all it writes into the host folders bound in, together
    cpus: float = 0  # cores; 0: all this machine's cores (the caller divides them among its workers)
    tasks: int = NotebookLimits.max_tasks.default_value  # threads and processes: see NotebookLimits.max_tasks

    def describe(self, what: str) -> str:
        """The limit ``what`` ("memory", "processes", "disk") in a student's words."""
        amounts = {"memory": self.memory_bytes, "disk": self.disk_bytes, "processes": self.processes}
        return limit_hit(what, amounts.get(what, self.processes))

    def cores(self) -> float:
        return self.cpus or float(len(os.sched_getaffinity(0)))

"""A batch's progress as it goes, and its summary at the end.

On a terminal: a rich progress bar with the count, the rate and the time
left. In CI logs and other pipes: one plain line per student.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

from tfgrader.instructor.batch.schedule import Run


class BatchProgress:
    """Report each :class:`Run` of a batch of ``total`` students as it finishes.

    Use as a context manager and pass :meth:`done` as ``on_done`` to
    :func:`tfgrader.instructor.batch.schedule.autograde_all`.
    """

    def __init__(self, total: int, title: str, stream: TextIO | None = None, live: bool | None = None,
                 name_assignments: bool = False) -> None:
        self.total, self.title = total, title
        self.stream = stream or sys.stderr
        self.live = (self.stream.isatty() and not os.environ.get("CI")) if live is None else live
        self.finished = 0
        self.name_assignments = name_assignments  # a batch of several assignments: name each run's
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._bar = self._task = None

    def __enter__(self) -> BatchProgress:
        if self.live:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("left"),
                                 TimeRemainingColumn(), console=Console(file=self.stream))
            self._bar.start()
            self._task = self._bar.add_task(self.title, total=self.total, rate="")
        else:
            print(f"{self.title}: {self.total} submissions", file=self.stream, flush=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def done(self, run: Run) -> None:
        with self._lock:
            self.finished += 1
            elapsed = time.monotonic() - self.started
            rate = self.finished / elapsed * 60 if elapsed > 0 else 0.0
            if self._bar is not None:
                self._bar.update(self._task, advance=1, rate=f"{rate:.1f}/min")
                return
            left = elapsed / self.finished * (self.total - self.finished)
            who = run.who if self.name_assignments else run.student
            print(f"[{self.finished}/{self.total}] {who}: {_outcome(run)}"
                  + (f" · about {_duration(left)} left" if self.finished < self.total else ""),
                  file=self.stream, flush=True)


def summary(runs: list[Run], seconds: float) -> str:
    """How many were graded, skipped as unchanged and failed (with why), and the time taken."""
    graded = [r for r in runs if r.ok and not r.skipped]
    skipped = [r for r in runs if r.skipped]
    failed = [r for r in runs if not r.ok]
    lines = [f"graded {len(graded)}, skipped {len(skipped)} as unchanged, failed {len(failed)}, "
             f"in {_duration(seconds)}"]
    lines += [f"  failed: {r.who}: {r.error}" for r in failed]
    return "\n".join(lines)


def _outcome(run: Run) -> str:
    if run.skipped:
        return "unchanged, skipped"
    if not run.ok:
        return f"FAILED ({run.error})"
    return f"graded in {run.seconds:.0f} s"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"

"""What a student or an instructor reads: every sentence the three sides share.

The trusted side, the grading process and the student's own kernel all
speak of checks, points and limits the same way; each wording lives here once.
"""

from __future__ import annotations

import re

# Keras wraps a layer's error as "Exception encountered when calling X.call().
# <the reason> Arguments received by X.call(): <argument reprs>", in colour.
_KERAS_WRAPPER = re.compile(r"Exception encountered when calling [^\n]*\n+(?P<reason>.*?)\n+Arguments received by", re.S)
_KERAS_NOISE = (
    (re.compile(r"\x1b\[[0-9;]*m"), ""),  # terminal colours
    (re.compile(r'\s*Tensor\("[^"]*", shape=[^)]*\), dtype=\w+\)'), ""),  # graph tensor reprs
    (re.compile(r" with name '[^']*' and path '[^']*'"), ""),  # Keras's internal tensor names
    (re.compile(r"Invalid input shape for input.*?\. Expected", re.S), "Invalid input shape. Expected"),  # the data
    # TensorFlow's graph errors: where the op was defined (paths of the
    # grading machine's Keras), the op's name and the labels' values.
    (re.compile(r"Graph execution error:\s*(Detected at node \S+ defined at \(most recent call last\):\s*)?"
                r"(File \"[^\n]*\s*)*"), ""),
    (re.compile(r"\s*\[\[\{\{node [^}]*\}\}\]\](\s*\[Op:[^\]]*\])?"), ""),
    (re.compile(r" for '\{\{node [^}]*\}\}[^']*'"), ""),
    (re.compile(r"\.?\s+Label values:[\d\s]*"), ". "),
)

DID_NOT_PASS = "This check did not pass."
COULD_NOT_RUN = "This check could not run."
BROKEN = "The grader could not run ({}); please tell your instructor."
NOT_RUN_BY_COURSE = "This notebook was not run by the course's grader; please tell your instructor."


def one_line(what: BaseException | str, limit: int = 300) -> str:
    """An exception (``Type: message``) or a text as one line of at most
    ``limit`` characters: what a student or an instructor reads. Keras's
    wrapping of a layer's error is reduced to the reason inside it."""
    if isinstance(what, BaseException):
        text = str(what)
        wrapped = _KERAS_WRAPPER.search(text)
        if wrapped:
            text = wrapped["reason"]
        for pattern, replacement in _KERAS_NOISE:
            text = pattern.sub(replacement, text)
        what = f"{type(what).__name__}: {text}" if text.strip() else type(what).__name__
    line = " ".join(str(what).split())
    return line if len(line) <= limit else line[:limit - 3] + "..."


def plural(count: float, word: str, many: str | None = None) -> str:
    """``"1 point"``, ``"2 points"``, ``"0.5 points"``; ``many`` for irregular plurals."""
    return f"{count:g} {word if count == 1 else many or word + 's'}"


def passed(name: str, points: float, note: str = "") -> str:
    """The line a passed check shows: ``Passed: name (3 points)``, or ``(3 points; note)``."""
    return f"Passed: {name} ({plural(points, 'point')}{'; ' + note if note else ''})"


def no_such_check(name: str) -> str:
    return f"The grader has no check called {name!r}; please tell your instructor."


def size_text(n: int) -> str:
    """A size as an instructor writes it in a limit: ``4 GB``, ``512 MB``."""
    return f"{n / 2**30:g} GB" if n >= 2**30 else f"{n / 2**20:g} MB"


def limit_hit(what: str, amount: int) -> str:
    """Why the notebook was stopped, when it hit the limit ``what``
    (memory, disk, processes, output) of ``amount`` (bytes or processes)."""
    if what == "memory":
        return f"your notebook used more than {size_text(amount)} of memory"
    if what == "disk":
        return f"your notebook wrote more than {size_text(amount)} to disk"
    if what == "output":
        return f"your notebook printed more than {size_text(amount)} of output"
    return f"your notebook started more than {amount} processes at once"


def notebook_too_long(seconds: float) -> str:
    return f"the notebook ran longer than its {seconds:g} s limit. Shorten training or remove endless loops"


def cell_too_long(seconds: float) -> str:
    return (f"an earlier cell ran longer than the {seconds:g} s limit per cell. "
            "Look for an endless loop or training far longer than asked")


KERNEL_DIED = ("your notebook's kernel stopped (a crash, os._exit(), or killing its own process), "
               "so the cells after it could not run")

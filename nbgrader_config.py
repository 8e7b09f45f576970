"""nbgrader configuration of the course. nbgrader reads it from the working
directory only, so run nbgrader from this folder (``tfgrader`` does).

What every tfgrader course needs (the sandbox, the trusted verdict, feedback
without hidden tests) is set by ``configure``; this file keeps the course's
own choices. See docs/sandbox.md for each limit (defaults: tfgrader/instructor/confine/limits.py).
"""

from tfgrader.instructor.course import COURSE_ID
from tfgrader.instructor.preprocessors.config import configure

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file
configure(c, course_id=COURSE_ID)

# A student's code gets generous time per cell (a full training run fits in
# it). The notebook as a whole, its memory, processes, disk and output, and
# the grading process, keep tfgrader's defaults (900 s, 4 GB, 64 processes,
# 2 GB, 10 MB; 600 s and 8 GB for the grader); set any of them here, e.g.
#   c.SandboxedExecute.memory_limit = "6G"
# and an assignment's grader may raise its own in LIMITS (05 does).
c.Execute.timeout = 300
# Grading without the sandbox (only on a machine where bubblewrap cannot run,
# and only on purpose) is logged and recorded in every result:
# c.SandboxedExecute.sandbox = False

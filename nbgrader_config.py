"""nbgrader configuration of the course. nbgrader reads it from the working
directory only, so run nbgrader from this folder (``tfgrader`` does).

What every tfgrader course needs (the sandbox, the trusted verdict, feedback
without hidden tests) is set by ``configure``; this file keeps the course's
own choices. See the README's "Sandbox" section for each limit.
"""

from tfgrader.course import COURSE_ID
from tfgrader.instructor.config import configure

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file
configure(c, course_id=COURSE_ID)

# A student's code gets generous time per cell (a full training run fits in
# it), and the notebook as a whole is bounded too.
c.Execute.timeout = 300
c.SandboxedExecute.notebook_timeout = 900
c.SandboxedExecute.memory_limit = "4G"
c.SandboxedExecute.max_processes = 64
c.SandboxedExecute.max_output = "10M"
c.TrustedVerdict.grader_timeout = 600
# Grading without the sandbox (only on a machine where bubblewrap cannot run,
# and only on purpose) is logged and recorded in every result:
# c.SandboxedExecute.sandbox = False

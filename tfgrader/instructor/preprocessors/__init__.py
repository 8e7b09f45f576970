"""The nbgrader preprocessors a tfgrader course plugs in (see :func:`config.configure`).
Instructor side: they run in nbgrader's process, never in the kernel.

``Autograde.autograde_preprocessors`` runs :class:`execute.SandboxedExecute`,
then :class:`verdict.TrustedVerdict`, then nbgrader's own ``SaveAutoGrades``;
the first hands the second a :class:`handoff.Handoff`. The sanitizing pass
uses :class:`restore.RestoreCells`, and ``generate_feedback``
:class:`feedback.CheckSummary`.
"""

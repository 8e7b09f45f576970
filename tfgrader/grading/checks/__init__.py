"""Shared grader checks: architecture, compile settings, training, and more.

Each helper raises ``AssertionError`` (or ``StudentError``) with a message
written for the student, so a grader test can be a few lines long.
"""

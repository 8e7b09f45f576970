"""Where everything lives in a course directory: the one place a course path is spelled.

::

    nbgrader_config.py                  the course's nbgrader settings (and its gradebook's URL)
    graders/test_<id>.py                each assignment's hidden grader; samples_<id>.py, tutorials_<id>.py,
                                        mutants_<id>.py, equivalent_<id>.toml
    source/<assignment>/                the instructor's notebook with solutions, and public_checks.py
    release/<assignment>/               what students get (nbgrader generate_assignment)
    submitted/<student>/<assignment>/   what they handed in
    autograded/<student>/<assignment>/  the graded notebook, and .tfgrader/: results.json, graded.json, export/
    feedback/<student>/<assignment>/    the feedback page
    gradebook.db                        nbgrader's gradebook, unless db_url says otherwise

Assignment ids use hyphens (``01-keras-overview``); the grader modules' names
use underscores, as Python module names must.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from tfgrader import wire

COURSE_ID = "tf-keras-week"
ASSIGNMENTS = (
    "01-keras-overview",
    "02-basic_classification",
    "03-basic_text_classification",
    "04-basic_regression",
    "05-overfit_and_underfit",
    "06-save_and_restore_models",
)
# The assignments by the time one submission takes to grade, longest first
# (measured in the demo, two at a time on 2 cores: about 100, 52, 41, 35, 35
# and 35 s). A pool that starts the longest first never waits on one alone at
# the end.
LONGEST_FIRST = (
    "05-overfit_and_underfit",
    "03-basic_text_classification",
    "04-basic_regression",
    "06-save_and_restore_models",
    "02-basic_classification",
    "01-keras-overview",
)
CONFIG = "nbgrader_config.py"
STAMP = "graded.json"
PUBLIC_CHECKS = "public_checks.py"
# What the course is made of, as opposed to what grading makes in it.
COURSE_FILES = ("source", "graders", CONFIG)


def longest_first(assignments) -> list[str]:
    """``assignments`` in :data:`LONGEST_FIRST` order; others (a course's own) after them."""
    return sorted(assignments, key=lambda a: LONGEST_FIRST.index(a) if a in LONGEST_FIRST else len(LONGEST_FIRST))


def find_course_dir(start: Path | None = None) -> Path:
    """Find the course directory: ``TFGRADER_COURSE_DIR``, else the nearest
    folder at or above ``start`` (default: the working directory) holding
    ``nbgrader_config.py`` and ``graders/``."""
    if os.environ.get("TFGRADER_COURSE_DIR"):
        return Path(os.environ["TFGRADER_COURSE_DIR"]).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG).is_file() and (folder / "graders").is_dir():
            return folder
    raise FileNotFoundError(
        f"No course directory (with {CONFIG} and graders/) at or above {here}; "
        "set TFGRADER_COURSE_DIR to the course's root."
    )


def copy_course(course: Path, dest: Path) -> Path:
    """Copy what nbgrader needs of ``course`` into ``dest`` (outputs excluded)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in COURSE_FILES:
        src = course / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    return dest


@dataclass(frozen=True)
class CourseLayout:
    """The paths of the course at ``root``."""

    root: Path

    @classmethod
    def found(cls, start: Path | None = None) -> CourseLayout:
        return cls(find_course_dir(start))

    # ---- what the instructor writes
    @property
    def config(self) -> Path:
        return self.root / CONFIG

    @property
    def graders(self) -> Path:
        return self.root / "graders"

    def grader(self, assignment: str) -> Path:
        """The hidden grader module of ``assignment``: ``graders/test_<id>.py``."""
        return self.graders / f"test_{_stem(assignment)}.py"

    def samples(self, assignment: str) -> Path:
        return self.graders / f"samples_{_stem(assignment)}.py"

    def tutorials(self, assignment: str) -> Path:
        return self.graders / f"tutorials_{_stem(assignment)}.py"

    def mutants(self, assignment: str) -> Path:
        """The assignment's own mutation operators and rewrites (see :mod:`tfgrader.instructor.authoring.mutate`)."""
        return self.graders / f"mutants_{_stem(assignment)}.py"

    def equivalent(self, assignment: str) -> Path:
        """The surviving mutants the instructor recorded as valid work, with the reasons."""
        return self.graders / f"equivalent_{_stem(assignment)}.toml"

    def source(self, assignment: str) -> Path:
        return self.root / "source" / assignment

    def source_notebook(self, assignment: str) -> Path:
        return self.source(assignment) / f"{assignment}.ipynb"

    def public_checks(self, assignment: str) -> Path:
        return self.source(assignment) / PUBLIC_CHECKS

    def release_notebook(self, assignment: str) -> Path:
        return self.root / "release" / assignment / f"{assignment}.ipynb"

    # ---- what students hand in, and what grading makes of it
    def submitted(self, student: str, assignment: str) -> Path:
        return self.root / "submitted" / student / assignment

    def submitted_notebook(self, student: str, assignment: str) -> Path:
        return self.submitted(student, assignment) / f"{assignment}.ipynb"

    def students(self, assignment: str) -> list[str]:
        """Students with a submission of ``assignment``, in name order."""
        return sorted(p.parent.name for p in (self.root / "submitted").glob(f"*/{assignment}") if p.is_dir())

    def autograded(self, student: str, assignment: str) -> Path:
        return self.root / "autograded" / student / assignment

    def record(self, student: str, assignment: str) -> Path:
        """The trusted side's record of a grading: ``autograded/<student>/<id>/.tfgrader``."""
        return self.autograded(student, assignment) / wire.EXPORT_DIRNAME

    def results(self, student: str, assignment: str) -> Path:
        return self.record(student, assignment) / wire.RESULTS

    def stamp(self, student: str, assignment: str) -> Path:
        """Written when a student's grading ended (see :mod:`tfgrader.instructor.batch.stamps`)."""
        return self.record(student, assignment) / STAMP

    def feedback(self, student: str, assignment: str) -> Path:
        return self.root / "feedback" / student / assignment

    def report(self, assignment: str) -> Path:
        return self.root / "reports" / assignment

    # ---- settings
    def nbgrader_config(self):
        """The traitlets config of the course's ``nbgrader_config.py``, as nbgrader loads it."""
        from traitlets.config.loader import PyFileConfigLoader

        return PyFileConfigLoader(CONFIG, path=str(self.root)).load_config()

    def db_url(self) -> str:
        """The gradebook's database URL: ``c.CourseDirectory.db_url`` of the
        course, else nbgrader's default, SQLite in ``gradebook.db``."""
        return (self.nbgrader_config().CourseDirectory.get("db_url")
                or f"sqlite:///{self.root.resolve() / 'gradebook.db'}")


def _stem(assignment: str) -> str:
    return assignment.replace("-", "_")

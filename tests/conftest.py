"""Shared fixtures: the course under test, the real datasets it needs, and
each assignment graded once through the real nbgrader pipeline."""

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path

import pytest

from tfgrader.instructor.authoring import public
from tfgrader.instructor.authoring.validate import Validation
from tfgrader.instructor.course import ASSIGNMENTS, CourseLayout, longest_first
from tfgrader.wire import Results

COURSE = Path(__file__).resolve().parents[1]
GRADED_ASSIGNMENTS = [a for a in ASSIGNMENTS if CourseLayout(COURSE).grader(a).exists()]
BROKEN = "broken_json"
# The quick run (CI, `./run test`) grades, per assignment, the reference, the
# release copy, a broken notebook and a covering set of wrong samples (each
# check failed by at least one), packed into submissions of up to three faults
# each; the full run (TFGRADER_FULL_TESTS=1) grades every sample alone, the
# accepted variants and the tutorials' code included.
FULL = os.environ.get("TFGRADER_FULL_TESTS") == "1"
FULL_ONLY = "graded in the full run only (TFGRADER_FULL_TESTS=1 ./run test)"
# Students graded at once. Two nbgrader processes on the 2 cores of CI
# finish a batch about 1.75 times as fast as one (measured on assignment 06).
WORKERS = 2


def pytest_configure(config):
    config.addinivalue_line("markers", f"full: {FULL_ONLY}")


def pytest_collection_modifyitems(config, items):
    if not FULL:
        for item in items:
            if item.get_closest_marker("full"):
                item.add_marker(pytest.mark.skip(reason=FULL_ONLY))


def wanted_assignments(items) -> set[str]:
    """The assignments that the selected tests grade (after -k and -m have deselected theirs)."""
    wanted = set()
    for item in items:
        if "graded" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("skip"):
            callspec = getattr(item, "callspec", None)
            assignment = (callspec.params.get("assignment") if callspec else None) or getattr(item.module, "A", None)
            if assignment in GRADED_ASSIGNMENTS:
                wanted.add(assignment)
    return wanted


@pytest.fixture(scope="session")
def course() -> Path:
    """The course directory of this checkout (read it, never write into it)."""
    return COURSE


@pytest.fixture(scope="session")
def datasets_available() -> None:
    """Skip, saying what to do, when a verified copy of some dataset is missing."""
    from tfgrader import data

    try:
        for load in (data.mnist, data.fashion_mnist, data.imdb_word_index, data.auto_mpg):
            load()
    except data.DatasetUnavailable as exc:
        pytest.skip(f"the real datasets are needed for pipeline tests: {exc}")


# Grader modules and their samples are imported by some tests (never by the
# grading runtime, which reads them as text or runs them under pytest).
import sys  # noqa: E402

sys.path.insert(0, str(COURSE / "graders"))


def graded_samples(assignment: str) -> list:
    """The samples of ``assignment`` that this run grades: ``tfgrader validate``'s
    choice, ``--quick`` unless this is the full run (see FULL)."""
    from tfgrader.instructor.authoring.validate import chosen

    return chosen(COURSE, assignment, quick=not FULL)


def graded_alone(assignment: str) -> set[str]:
    """The samples of ``assignment`` that this run grades as submissions of their own."""
    return {sample.name for sample in graded_samples(assignment)}


class Graded(Validation):
    """One assignment's ``tfgrader validate`` (``--quick`` but in the full run),
    with two more ways in: an unreadable notebook graded in the same batch, and
    the first sample graded again, alone, with ``tfgrader grade`` (``alone``;
    the full run grades the reference alone too). :func:`grade_together` grades several
    assignments' submissions in one pool."""

    def __init__(self, course: Path, assignment: str, scratch: Path) -> None:
        super().__init__(course, assignment, scratch, quick=not FULL, keep_exports=True)
        self.source_course = course
        # The first sample passes some checks and fails others, with measured
        # figures in its messages: grading it twice tests both kinds.
        self.first = [s for s in self.expected if s not in ("reference", "release")][0]
        broken = CourseLayout(self.course).submitted_notebook(BROKEN, assignment)
        broken.parent.mkdir(parents=True)
        broken.write_text('{"cells": [ this is not json')
        self.alone = {}

    def jobs(self) -> list:
        """What grading this assignment takes: one call per submission, then those graded alone again."""
        from tfgrader.instructor.outputs import single

        def alone(student):
            notebook = CourseLayout(self.course).submitted_notebook(student, self.assignment)
            return lambda: self.alone.__setitem__(student, single.grade(self.source_course, notebook,
                                                                        self.assignment))

        return ([lambda student=s: self.grade(student) for s in self.students()]
                + [alone(s) for s in (("reference", self.first) if FULL else (self.first,))])

    @cached_property
    def outcomes(self) -> dict:
        return {o.student: o for o in super().outcomes()}

    def results(self, student: str) -> dict:
        """The grading process's own results for ``student``, as results.json holds them."""
        return Results.load(CourseLayout(self.course).results(student, self.assignment)).to_json()["checks"]


def grade_together(prepared: list[Graded]) -> None:
    """Every job of ``prepared``, ``WORKERS`` at a time, the longest assignments' first."""
    order = longest_first(g.assignment for g in prepared)
    prepared = sorted(prepared, key=lambda g: order.index(g.assignment))
    with ThreadPoolExecutor(WORKERS) as pool:
        for future in [pool.submit(job) for graded in prepared for job in graded.jobs()]:
            future.result()


def assert_says(outcomes: dict, expected: list[tuple[str, str, str]]) -> None:
    """Each ``(sample, check, words)``: where this run graded the sample's
    faults (alone, or in a submission that carries several samples' faults),
    the message of that check holds the words (the full run grades them all)."""
    from tfgrader.instructor.authoring import samples

    carried = {sample: outcome for name, outcome in outcomes.items() for sample in samples.carried(name)}
    graded_here = [(sample, check, words) for sample, check, words in expected if sample in carried]
    assert graded_here, "this run grades none of these samples"
    for sample, check, words in graded_here:
        assert words in carried[sample].messages[check], (sample, check)


TINY = Path(__file__).parent / "fixtures" / "tiny_course"
WRONG_ANSWER = (("answer", "answer = 6 * 7", "answer = 0"),)  # an edit: the tiny answer check fails


def tiny_course(root: Path, students: dict[str, tuple], db_url: str | None = None) -> Path:
    """A copy of the tiny course (tests/fixtures/tiny_course: ``answer`` 2
    points, a note file 1) at ``root``, its assignment generated (with the
    gradebook at ``db_url``, else SQLite), and one submission per student:
    the reference with that student's edits (see :class:`samples.Sample`)."""
    from tfgrader.instructor.authoring import samples
    from tfgrader.instructor.course import copy_course

    course = copy_course(TINY, root)
    if db_url:
        with (course / "nbgrader_config.py").open("a") as config:
            config.write(f"\nc.CourseDirectory.db_url = {db_url!r}\n")
    public.generate(course, "tiny")
    reference = samples.reference(course, "tiny")
    for student, edits in students.items():
        samples.submit(course, "tiny", student, samples.apply(reference, samples.Sample(student, "", edits)))
    return course


@pytest.fixture(scope="session")
def graded_tiny(tmp_path_factory) -> Path:
    """The tiny course graded once per session for four students: ada right, bob wrong, cy stopped by the
    cell time limit, dee's notebook unreadable. Tests that change it work on a copy (copy_course)."""
    from tfgrader.instructor.batch import schedule
    from tfgrader.instructor.course import CourseLayout

    course = tiny_course(tmp_path_factory.mktemp("graded_tiny") / "course",
                         {"ada": (), "bob": WRONG_ANSWER, "cy": (("answer", "answer = 6 * 7", "while True:\n    pass"),)})
    broken = CourseLayout(course).submitted_notebook("dee", "tiny")
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [ not json')
    schedule.autograde_all(course, "tiny", workers=2)
    return course


@pytest.fixture(scope="session")
def graded(request, course, datasets_available, tmp_path_factory):
    """``graded(assignment)``: that assignment graded once per session. The
    first call grades, in one pool, every assignment that the collected tests
    ask for."""
    cache = {}

    def _graded(assignment: str) -> Graded:
        if assignment not in cache:
            wanted = wanted_assignments(request.session.items) | {assignment}
            prepared = [Graded(course, a, tmp_path_factory.mktemp(a) / "course") for a in sorted(wanted - set(cache))]
            grade_together(prepared)
            cache.update({g.assignment: g for g in prepared})
        return cache[assignment]

    return _graded


# The tiny course under fixtures/ has a grader module named like a test; it is
# data for the tests, not a test module.
collect_ignore_glob = ["fixtures/*"]


# ---------------------------------------------------------------- real services

def _postgres_bin(name: str) -> str:
    """A PostgreSQL server program: on PATH, or where Debian's postgresql package puts it."""
    import glob

    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        pytest.fail("A PostgreSQL server is needed for the multi-machine gradebook tests: install Debian's "
                    "postgresql package (./run test does so as root), or put initdb and pg_ctl on PATH.")
    return found


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server on loopback, started for this session: the URL of an empty database."""
    import os
    import socket
    import subprocess
    import tempfile

    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    home = Path(tempfile.mkdtemp(prefix="tfgrader-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root: run it as Debian's postgres user
        import pwd

        account = pwd.getpwnam("postgres")
        os.chown(home, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = home / "data"

    def run(*cmd: str) -> None:
        proc = subprocess.run([*as_user, *cmd], capture_output=True, text=True, cwd=home)
        if proc.returncode != 0:
            pytest.fail(f"{' '.join(cmd[:2])} failed: {(proc.stderr or proc.stdout)[-1500:]}")

    run(initdb, "-D", str(data), "-U", "tfgrader", "-A", "trust", "--no-sync")
    run(pg_ctl, "-D", str(data), "-l", str(home / "server.log"), "-w", "start",
        "-o", f"-h 127.0.0.1 -p {port} -k {home} -c fsync=off")
    try:
        import psycopg

        # autocommit: CREATE DATABASE runs outside any transaction
        with psycopg.connect(host="127.0.0.1", port=port, user="tfgrader", dbname="postgres",
                             autocommit=True) as connection:
            connection.execute("CREATE DATABASE gradebook")
        yield f"postgresql://tfgrader@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def dask_scheduler():
    """A real Dask LocalCluster: two worker processes, one task each at a time, on loopback."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        yield cluster.scheduler_address

"""Hostile and broken submissions, graded through real nbgrader with the sandbox on.

Every case is a student of one batch of the tiny course (tests/fixtures/tiny_course:
``answer = 42`` worth 2 points, a note file worth 1), graded two at a time
beside two honest students. Each case states the points it must get and a
piece of the message the student must read. Cases that try to *reach* past
the sandbox set ``answer`` to 42 only when the attempt fails, so a hole in
the sandbox shows up as lost points.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat
import pytest

from tfgrader.instructor import pipeline, report, samples
from tfgrader.instructor.validate import copy_course

pytestmark = pytest.mark.slow
TINY = Path(__file__).parent / "fixtures" / "tiny_course"
A = "tiny"
WRONG = "answer = 0"  # the answer cell of a student who did not do the work


@dataclass(frozen=True)
class Case:
    """A submission made from the tiny reference.

    ``code`` is a student cell added after the note cell ({course} and {port}
    are filled in); ``answer`` replaces the answer cell; ``edit`` changes the
    notebook; ``raw`` writes the file's text directly.
    """

    name: str
    points: float
    message: str = ""
    code: str = ""
    answer: str | None = None
    edit: Callable | None = None
    raw: Callable | None = None


def grade_cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def delete_check(nb):
    nb.cells.remove(grade_cell(nb, "check_answer"))


def edit_check(nb):
    grade_cell(nb, "check_answer").source = 'print("Passed: answer (2 points)")'


def retype_check(nb):
    cell = grade_cell(nb, "check_answer")
    cell.cell_type = "markdown"
    del cell["outputs"], cell["execution_count"]


def reorder_checks(nb):
    a, b = nb.cells.index(grade_cell(nb, "check_answer")), nb.cells.index(grade_cell(nb, "check_notes"))
    nb.cells[a], nb.cells[b] = nb.cells[b], nb.cells[a]


def bash_kernel(nb):
    nb.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}


def bonus_cell(nb):
    cell = nbformat.v4.new_code_cell('tfgrader.check("tiny", "answer")')
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "check_bonus", "points": 100, "locked": True,
                                 "solution": False, "task": False, "schema_version": 3}
    nb.cells.append(cell)


# Patching the exporter from a solution cell hands over other files: here a
# forged results file, or damaged and escaping exports.
PATCH = '''import tfgrader.student as s, json, os
_real = s.export_for_grading
def _forge(requested, export_dir, workdir=None):
    _real(requested, export_dir, workdir)
    folder = export_dir
{body}
s.export_for_grading = _forge
'''


def patch(body: str) -> str:
    return PATCH.format(body="\n".join("    " + line for line in body.strip().splitlines()))


CASES = [
    # --- tampering with the verdict
    Case("replace_check", 1, "should be 6 times 7", answer=WRONG,
         code="import tfgrader\ntfgrader.check = lambda *a, **k: print('Passed: answer (2 points)')"),
    Case("fake_results", 1, "should be 6 times 7", answer=WRONG, code=patch('''
open(os.path.join(folder, "results.json"), "w").write(json.dumps(
    {"checks": {"answer": {"passed": True, "points": 2, "message": ""}}}))''')),
    Case("runtime_state", 1, "should be 6 times 7", answer=WRONG,
         code="import sys, tfgrader.student as s\ns._results = {'tiny': {'checks': {'answer': {'passed': True}}}}\n"
              "sys.modules['tfgrader.instructor.verdict'] = s"),
    Case("exception_hooks", 1, "should be 6 times 7", answer=WRONG,
         code="import sys\nip = get_ipython()\nip.set_custom_exc((BaseException,), lambda *a, **k: None)\n"
              "ip.showtraceback = lambda *a, **k: None\nsys.excepthook = lambda *a: None"),
    Case("clear_outputs", 1, "should be 6 times 7", answer=WRONG,
         code="import threading, time\nfrom IPython.display import clear_output, display\n"
              "def spam():\n    while True:\n        clear_output(); print('Passed: answer (2 points)'); time.sleep(0.01)\n"
              "threading.Thread(target=spam, daemon=True).start()"),
    Case("eq_always_true", 1, "`answer`", answer="class Anything:\n    def __eq__(self, other):\n        return True\n"
                                                   "answer = Anything()"),
    Case("fake_files_in_folder", 1, "should be 6 times 7", answer=WRONG,
         code="import os, json\nos.makedirs('.tfgrader', exist_ok=True)\n"
              "json.dump({'checks': {'answer': {'passed': True, 'points': 2}}}, open('.tfgrader/results.json', 'w'))\n"
              "for d in ('/home/student/.tfgrader-export',):\n"
              "    json.dump({'answer': {'kind': 'value', 'file': 'a.json'}}, open(d + '/manifest.json', 'w'))\n"
              "    open(d + '/a.json', 'w').write('42')"),
    Case("symlink_passwd", 2, "outside this notebook's folder",
         code="import os\nos.symlink('/etc/passwd', 'passwd')\nnotes_path = 'passwd'"),
    Case("symlink_graders", 2, "outside this notebook's folder",
         code="import os\nos.symlink('{course}/graders/test_tiny.py', 'g.py')\nnotes_path = 'g.py'"),
    Case("export_symlink", 2, "not a plain file", code=patch('''
copy = json.load(open(os.path.join(folder, "notes_path.json")))["copy"]
os.remove(os.path.join(folder, copy))
os.symlink("/etc/passwd", os.path.join(folder, copy))''')),
    Case("export_dotdot", 1, "not a plain file", code=patch('''
m = json.load(open(os.path.join(folder, "manifest.json")))
m["answer"]["file"] = "../../../etc/passwd"
json.dump(m, open(os.path.join(folder, "manifest.json"), "w"))''')),
    # (the kernel's file-size limit stops this one first; safe_copy's own cap is in test_verdict.py)
    Case("export_huge", 1, "`answer`", code=patch('''
with open(os.path.join(folder, "answer.json"), "wb") as f:
    for _ in range(9):
        f.write(b" " * 2**26)''')),
    Case("export_bad_json", 1, "not valid JSON", code=patch('''
open(os.path.join(folder, "answer.json"), "w").write("{42")''')),
    Case("export_bad_manifest", 0, "could not read what your notebook handed over", code=patch('''
open(os.path.join(folder, "manifest.json"), "w").write("[1, 2")''')),
    # --- reaching outside the submission
    Case("read_graders", 3, code="import os\nanswer = 0 if os.path.exists('{course}/graders/test_tiny.py') else 42"),
    Case("read_source", 3, code="import os\nanswer = 0 if os.path.exists('{course}/source/tiny/tiny.ipynb') else 42"),
    Case("read_other_student", 3,
         code="import os\nanswer = 0 if os.path.exists('{course}/submitted/honest_1/tiny/tiny.ipynb') else 42"),
    Case("write_gradebook", 3, code="try:\n    open('{course}/gradebook.db', 'ab').write(b'x')\n    answer = 0\n"
                                    "except OSError:\n    answer = 42"),
    Case("network", 3, code="import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
                            "    answer = 0\nexcept OSError:\n    answer = 42"),
    # --- exhausting resources
    Case("fork_bomb", 0, "more than 32 processes",
         code="import os, time\nfor _ in range(500):\n    if os.fork() == 0:\n        time.sleep(60)\n        os._exit(0)"),
    Case("memory_hog", 0, "more than 1 GB of memory", code="hog = bytearray(3 * 2**30)\nimport time; time.sleep(5)"),
    Case("huge_file", 3, code="try:\n    with open('big.bin', 'wb') as f:\n        for _ in range(1024):\n"
                              "            f.write(b'0' * 2**20)\nexcept OSError as e:\n    print(e)"),
    Case("huge_output", 0, "printed more than 10 MB of output", code="for _ in range(12):\n    print('x' * 2**20)"),
    # --- killing or stalling the kernel
    Case("sys_exit", 3, code="import sys\nsys.exit()"),
    Case("os_exit", 0, "kernel stopped", code="import os\nos._exit(1)"),
    Case("kill_self", 0, "kernel stopped", code="import os\nos.kill(os.getpid(), 9)"),
    Case("ignores_sigint", 0, "limit per cell",
         code="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"),
    Case("background_process", 3,
         code="import subprocess\n_ = subprocess.Popen(['sleep', '600'], start_new_session=True)"),
    Case("sleeps_past_budget", 0, "its 20 s limit", code="import time\ntime.sleep(8)\n", edit=lambda nb: [
        nb.cells.insert(3, nbformat.v4.new_code_cell("import time\ntime.sleep(8)")) for _ in range(2)]),
    # --- broken or edited notebooks
    Case("nan_answer", 1, "`answer` is 'nan'", answer="answer = float('nan')"),
    Case("deleted_check", 3, edit=delete_check),
    Case("edited_check", 1, "should be 6 times 7", answer=WRONG, edit=edit_check),
    Case("retyped_check", 1, "should be 6 times 7", answer=WRONG, edit=retype_check),
    Case("reordered_checks", 1, "should be 6 times 7", answer=WRONG, edit=reorder_checks),
    Case("bonus_check", 3, edit=bonus_cell),
    Case("other_kernelspec", 3, edit=bash_kernel),
    Case("invalid_json", 0, raw=lambda nb: '{"cells": [ this is not json'),
    Case("nbformat_3", 3, raw=lambda nb: nbformat.writes(nbformat.convert(nb, 3), version=3)),
]
HONEST = ("honest_1", "honest_2")


def make(reference, case: Case, course: Path, port: int) -> str:
    nb = nbformat.from_dict(json.loads(json.dumps(reference)))
    if case.answer is not None:
        grade_cell(nb, "answer").source = case.answer
    if case.code:
        position = nb.cells.index(grade_cell(nb, "notes")) + 1
        nb.cells.insert(position, nbformat.v4.new_code_cell(case.code.replace("{course}", str(course))
                                                            .replace("{port}", str(port))))
    if case.edit:
        case.edit(nb)
    return case.raw(nb) if case.raw else nbformat.writes(nb)


@pytest.fixture(scope="module")
def listener():
    """A real TCP server on this machine's loopback, which no notebook may reach."""
    server = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=lambda: [server.accept() for _ in iter(int, 1)], daemon=True).start()
    yield server.getsockname()[1]
    server.close()


@pytest.fixture(scope="module")
def batch(tmp_path_factory, listener):
    """The whole corpus and two honest students, autograded as one batch, four at a time: many of
    these notebooks wait (on a limit, a sleep, a dead kernel) more than they compute."""
    course = copy_course(TINY, tmp_path_factory.mktemp("tiny") / "course")
    pipeline.generate(course, A)
    reference = samples.reference(course, A)
    for student in HONEST:
        samples.submit(course, A, student, reference)
    for case in CASES:
        path = course / "submitted" / case.name / A / f"{A}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(make(reference, case, course, listener))
    runs = {run.student: run for run in pipeline.autograde_all(course, A, workers=4)}
    scores = {row.student: row for row in report.scores(course, A)}
    return course, runs, scores


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_submission_gets_its_points_and_a_message(batch, case):
    """Does each hostile or broken submission get exactly its points, with a message naming what happened?"""
    course, runs, scores = batch
    row = scores.get(case.name)
    score = row.score if row else 0
    said = " ".join(row.failed.values()) if row else runs[case.name].error
    assert score == case.points, (said, runs[case.name])
    assert case.message in said
    if case.points < 3:
        assert said.strip()


def test_honest_students_in_the_same_batch_are_graded_right(batch):
    """Are the honest students of the hostile batch graded in full, every run but the unreadable one ok?"""
    course, runs, scores = batch
    assert [scores[s].score for s in HONEST] == [3, 3]
    failed = {s: run.error for s, run in runs.items() if not run.ok}
    assert list(failed) == ["invalid_json"], failed
    assert runs["invalid_json"].error


def test_nothing_outlives_the_batch(batch):
    """Is no process that a notebook started (a background `sleep 600`, a fork bomb's copies of the kernel)
    or that graded it still running after the batch?"""
    import psutil

    course = str(batch[0])
    leftovers = [p.info["cmdline"] for p in psutil.process_iter(["cmdline"])
                 if p.info["cmdline"] and (p.info["cmdline"][:2] == ["sleep", "600"]
                                           or any(course in part for part in p.info["cmdline"]))]
    assert leftovers == []


def test_feedback_leaks_nothing_of_the_graders(batch):
    """Does the feedback of every graded student carry messages but no grader code, name or server path?"""
    course, runs, scores = batch
    proc = pipeline.nbgrader(course, "generate_feedback", A, "--force")
    assert proc.returncode == 0, proc.stderr[-2000:]
    pages = list((course / "feedback").glob(f"*/{A}/{A}.html"))
    assert len(pages) == len([run for run in runs.values() if run.ok])
    for page in pages:
        html = page.read_text()
        own = (course / "submitted" / page.parent.parent.name / A / f"{A}.ipynb").read_text()
        for secret in ("test_tiny", "EXPORTS", "HIDDEN TESTS", "tfgrader.check(", str(course),
                       "def test_", "submission.value"):
            assert secret not in html or secret in own, (page, secret)  # (a student may quote a path)
    assert "should be 6 times 7" in (course / "feedback" / "edited_check" / A / f"{A}.html").read_text()


def test_results_record_the_sandbox(batch):
    """Does every recorded result say the sandbox was on, and a stopped notebook why it stopped?"""
    course, runs, scores = batch
    honest = json.loads((course / "autograded" / "honest_1" / A / ".tfgrader" / "results.json").read_text())
    hog = json.loads((course / "autograded" / "memory_hog" / A / ".tfgrader" / "results.json").read_text())
    assert honest["sandbox"] is True and hog["sandbox"] is True
    assert "more than 1 GB of memory" in hog["stopped"]
    shutil.rmtree(course / "feedback", ignore_errors=True)


def test_unsandboxed_grading_is_loud_and_marked(batch, monkeypatch):
    """Graded with the sandbox turned off on purpose, is it logged loudly and marked in the record and the report?"""
    course, runs, scores = batch
    monkeypatch.setenv("TFGRADER_SANDBOX", "off")
    proc = pipeline.nbgrader(course, "autograde", A, "--student", "honest_2", "--force")
    assert proc.returncode == 0 and "SANDBOX OFF" in proc.stderr
    record = json.loads((course / "autograded" / "honest_2" / A / ".tfgrader" / "results.json").read_text())
    assert record["sandbox"] is False
    table = report.format_table(report.scores(course, A))
    assert [line for line in table.splitlines() if "UNSANDBOXED" in line][0].startswith("honest_2")

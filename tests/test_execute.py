"""Tests for tfgrader.instructor.preprocessors.execute.SandboxedExecute on tiny in-memory notebooks:
time bounds, and the sandbox's walls and limits, tried as a student would.

The notebooks run in a real python3 kernel inside real bubblewrap, but import
nothing heavy. The full autograde path (export, verdict, nbgrader) is in
test_hostile.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tfgrader.instructor.confine import cgroups, sandbox
from tfgrader.instructor.preprocessors.execute import SandboxedExecute

# A loop that a kernel interrupt cannot stop. (The loop
# ``while True: try: pass / except BaseException: pass`` does not qualify:
# CPython checks for the interrupt on the backward jump, outside the try.)
ENDLESS = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"

@pytest.fixture
def execute(tmp_path):
    """Run ``sources`` (str: code cell, ("md", text): markdown) through SandboxedExecute; return the cells."""

    def _execute(*sources, timeout=10, notebook_timeout=60, iopub_timeout=4, **limits):
        cells = [new_markdown_cell(s[1]) if isinstance(s, tuple) else new_code_cell(s) for s in sources]
        nb = new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        preprocessor = SandboxedExecute(timeout=timeout, notebook_timeout=notebook_timeout,
                                        iopub_timeout=iopub_timeout, raise_on_iopub_timeout=False, **limits)
        nb, _ = preprocessor.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
        return nb.cells

    return _execute


def assert_not_run(cell, limit: str) -> None:
    assert len(cell.outputs) == 1, cell.outputs
    output = cell.outputs[0]
    assert output.output_type == "error" and output.ename == "NotRun"
    assert output.evalue.startswith("This cell was not run: ") and limit in output.evalue


def test_normal_notebook(execute, tmp_path):
    """Does a notebook within its limits run every cell, in its folder, with normal outputs, and leave no control
    group behind?"""
    groups_before = set(cgroups.ours())
    (tmp_path / "mine.txt").write_text("my data")
    cells = execute("x = 20", ("md", "Some text"), "print(x + 1)",
                    "print(open('mine.txt').read())", "x * 2", "1 / 0")
    assert cells[0].outputs == [] and "outputs" not in cells[1]
    assert cells[2].outputs[0].text == "21\n"
    assert cells[3].outputs[0].text.strip() == "my data"
    assert cells[4].outputs[0].data["text/plain"] == "40"
    assert [o.ename for o in cells[5].outputs] == ["ZeroDivisionError"]
    assert set(cgroups.ours()) <= groups_before


def test_scratch_folder_is_never_copied_into_itself_and_is_removed(execute, tmp_path, monkeypatch):
    """The kernel works in a scratch copy of the notebook's folder: when the scratch folder is made inside that
    folder (a temporary folder under it), is it left out of the copy, and removed after the run?"""
    import tempfile

    (tmp_path / "mine.txt").write_text("my data")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    cells = execute("import os\nprint(sorted(os.listdir('.')))")
    assert cells[0].outputs[0].text.strip() == "['mine.txt']"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_cell_timeout_skips_the_rest(execute):
    """After a cell times out in a loop that ignores the interrupt, is every later code cell marked not run?"""
    cells = execute("a = 1", ENDLESS, ("md", "Next part"), "b = 2", "print(a)",
                    timeout=2, iopub_timeout=1)
    assert cells[0].outputs == []
    assert any(o.output_type == "error" and "Timeout" in o.ename for o in cells[1].outputs), cells[1].outputs
    assert "outputs" not in cells[2]
    for cell in cells[3:]:
        assert_not_run(cell, "limit per cell")


def test_notebook_budget_skips_the_rest(execute):
    """Once the notebook has used its time budget, are the remaining code cells marked not run?"""
    cells = execute("import time; time.sleep(1.5)", "x = 1", "print(x)", notebook_timeout=1)
    # (the budget counts from kernel start-up, so the first cell may be skipped too)
    for cell in cells[1:]:
        assert_not_run(cell, "its 1 s limit")


def test_timed_out_cell_gets_error_output(execute):
    """Does a cell that exceeds the per-cell timeout get a timeout error instead of stalling the run?"""
    cells = execute(ENDLESS, timeout=1, iopub_timeout=1)
    assert [o.ename for o in cells[0].outputs if o.output_type == "error"] == ["CellTimeoutError"]


# ---- the sandbox's walls and limits --------------------------------------------------


def errors(cell) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"]


def test_no_network(execute):
    """Can a cell open no connection at all, not even to this machine's loopback?"""
    cells = execute("import socket\ntry:\n    socket.create_connection(('127.0.0.1', 22), timeout=2)\n"
                    "except OSError as e:\n    print(type(e).__name__, e.errno)",
                    "import socket\nsocket.getaddrinfo('pypi.org', 443)")
    assert cells[0].outputs[0].text.startswith(("ConnectionRefusedError", "OSError")), cells[0].outputs
    assert errors(cells[1]) and "gaierror" in errors(cells[1])[0]


def test_sees_only_its_folder(execute, course, tmp_path):
    """Are the course's graders, sources and gradebook, and the home folder, out of sight, its own folder
    writable, and what it writes kept out of the host's copy of the folder?"""
    probe = "import os\nprint(sorted(p for p in {paths!r} if os.path.exists(p)))"
    secrets = [str(course / "graders"), str(course / "source"), str(course / "nbgrader_config.py"),
               "/etc/shadow", str(tmp_path), str(tmp_path.parent)]
    home = Path.home()
    cells = execute(probe.format(paths=secrets), "open('written.txt', 'w').write('ok')",
                    f"open({str(course / 'README.md')!r}, 'a')",
                    f"import os\nprint(os.listdir({str(home)!r}) if os.path.isdir({str(home)!r}) else [])",
                    "print(open('written.txt').read())")
    assert cells[0].outputs[0].text.strip() == "[]"
    # Only the way to a Python installed under the home folder (pyenv) shows there.
    python_dirs = {Path(p).relative_to(home).parts[0] for p in sandbox.python_paths() if Path(p).is_relative_to(home)}
    assert set(eval(cells[3].outputs[0].text)) <= python_dirs
    assert cells[4].outputs[0].text.strip() == "ok"
    assert not (tmp_path / "written.txt").exists()
    assert errors(cells[2]), cells[2].outputs


def test_memory_limit_names_the_limit(execute):
    """Does a memory hog end the notebook, with the limit named in the cells that could not run?"""
    cells = execute("x = bytearray(2 * 2**30)\nimport time; time.sleep(5)", "print('after')",
                    memory_limit="300M")
    assert any("more than 300 MB of memory" in e for e in errors(cells[0])), cells[0].outputs
    assert_not_run(cells[1], "more than 300 MB of memory")


def test_process_limit_stops_a_fork_bomb(execute):
    """Does a fork bomb end the notebook with the process limit named, instead of taking the machine?"""
    bomb = "import os, time\nfor _ in range(200):\n    if os.fork() == 0:\n        time.sleep(30)\n        os._exit(0)\ntime.sleep(30)"
    cells = execute(bomb, "print('after')", max_processes=20, timeout=60)
    assert_not_run(cells[1], "more than 20 processes")


def test_output_limit(execute):
    """Does printing far too much end the notebook with the output limit named, keeping little of it?"""
    cells = execute("for _ in range(200):\n    print('x' * 100_000)", "print('after')", max_output="1M")
    assert_not_run(cells[1], "printed more than 1 MB of output")
    assert sum(len(o.get("text", "")) for o in cells[0].outputs) < 2 * 2**20


def test_file_size_limit(execute, tmp_path):
    """Is writing a file beyond the size limit refused as an error in that cell only?"""
    cells = execute("open('big.bin', 'wb').write(b'0' * (3 * 2**20))", "print('after')", max_file_size="1M")
    assert errors(cells[0]) and "File too large" in errors(cells[0])[0]
    assert cells[1].outputs[0].text == "after\n"


def test_dead_kernel_skips_the_rest(execute):
    """When a cell kills its own kernel, are the later cells marked not run with the reason?"""
    cells = execute("import os\nos.kill(os.getpid(), 9)", "print('after')")
    assert any("kernel stopped" in e for e in errors(cells[0])), cells[0].outputs
    assert_not_run(cells[1], "kernel stopped")


def test_processes_left_running_are_killed(execute, tmp_path):
    """Does a background process the notebook leaves running die when the notebook ends?"""
    cells = execute("import subprocess\np = subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
                    "_ = open('pid', 'w').write(str(p.pid))")
    assert cells[0].outputs == []
    import psutil

    sleepers = [p for p in psutil.process_iter(["name", "cmdline"]) if p.info["cmdline"] == ["sleep", "300"]]
    # the kill is sent as the kernel stops; give it a moment to land (an escaped process lives 300 s)
    _, alive = psutil.wait_procs(sleepers, timeout=10)
    assert alive == []


def test_tensorflow_start_up_lines_stay_out_of_the_notebook(execute):
    """On a CPU where TensorFlow turns oneDNN on by default (simulated here by turning it on), TensorFlow writes
    "oneDNN custom operations are on" and absl's warning straight to the process's stderr: do they stay out
    of the cells, while what Python prints to stderr still shows?"""
    cells = execute("import os\nos.environ['TF_ENABLE_ONEDNN_OPTS'] = '1'\nimport tensorflow as tf\n"
                    "print(tf.constant(2) * 21)",
                    "import sys\nprint('a warning of the student', file=sys.stderr)")
    texts = [output.get("text", "") for cell in cells for output in cell.outputs]
    assert [word for text in texts for word in ("absl::", "oneDNN", "TF_ENABLE_ONEDNN_OPTS") if word in text] == []
    assert "tf.Tensor(42" in texts[0]
    assert cells[1].outputs[0].name == "stderr" and "a warning of the student" in cells[1].outputs[0].text


def test_limits_are_read_where_the_course_sets_them(tmp_path):
    """Does a limit set in nbgrader_config.py under the preprocessor's name (the grader's memory under
    TrustedVerdict, the notebook's under SandboxedExecute) reach the process it limits, and the batch's
    memory check, and does a grader's own LIMITS still win?"""
    from traitlets.config import Config

    from tfgrader.instructor.batch.schedule import configured_limits

    config = Config()
    config.TrustedVerdict.grader_memory_limit = "3G"
    config.TrustedVerdict.grader_max_processes = 99
    config.SandboxedExecute.memory_limit = "2G"
    execute = SandboxedExecute(config=config)
    assert (execute.grader_limits().memory_bytes, execute.grader_limits().processes) == (3 * 2**30, 99)
    assert execute.limits().memory_bytes == 2 * 2**30
    grader = tmp_path / "test_own.py"
    grader.write_text('LIMITS = {"grader_memory": "5G", "memory": "6G"}\n')
    assert execute.grader_limits(grader).memory_bytes == 5 * 2**30 and execute.limits(grader).memory_bytes == 6 * 2**30

    (tmp_path / "nbgrader_config.py").write_text('c = get_config()\nc.TrustedVerdict.grader_memory_limit = "3G"\n'
                                                  'c.SandboxedExecute.notebook_timeout = 100\n')
    notebook, grading = configured_limits(tmp_path)
    assert (grading.limits().memory_bytes, notebook.notebook_timeout) == (3 * 2**30, 100)

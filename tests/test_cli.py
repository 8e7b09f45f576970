"""Does the tfgrader command do what its help says?"""

import pytest

from tfgrader.instructor import cli
from tfgrader.instructor.batch import schedule


def test_data_reports_missing_files_and_what_to_do(tmp_path, capsys):
    """Does `tfgrader data` on an empty folder fail and say how to fix it?"""
    assert cli.main(["data", "--dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "mnist.npz" in out and "missing" in out and "TFGRADER_DATA_DIR" in out


def test_data_accepts_verified_files(capsys):
    """Does `tfgrader data` mark a file that matches its hash as ok?"""
    from tfgrader import data

    try:
        folder = data._resolve("auto-mpg.data").parent  # wherever the real copies are
    except data.DatasetUnavailable as exc:
        pytest.skip(f"no verified Auto MPG copy: {exc}")
    cli.main(["data", "--dir", str(folder)])  # other files there may be missing
    lines = capsys.readouterr().out
    assert "auto-mpg.data                                ok" in lines


def test_unknown_command_is_refused(capsys):
    """Does an unknown command exit with usage instead of a traceback?"""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["grade-everything"])
    assert exit_info.value.code == 2
    assert "usage: tfgrader" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["mutate", "03-text_classification", "--list"], ["validate", "nope"],
                                     ["generate", "01-keras-overview", "nope"]])
def test_unknown_assignment_is_named_with_the_known_ones(course, command, capsys):
    """Does a mistyped assignment id exit 2 with the course's ids, instead of a traceback?"""
    assert cli.main(["--course", str(course), *command]) == 2
    err = capsys.readouterr().err
    assert repr(command[1 if command[0] != "generate" else 2]) in err
    assert "03-basic_text_classification" in err and "01-keras-overview, " in err


def test_autograde_without_bubblewrap_stops_and_says_what_to_install(course, tmp_path, monkeypatch, capsys):
    """Without bubblewrap, does `tfgrader autograde` grade nothing and say what to install?"""
    from tfgrader.instructor.confine import sandbox
    from tfgrader.instructor.course import copy_course

    scratch = copy_course(course, tmp_path / "course")
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    monkeypatch.setattr(sandbox, "_checked", {})
    assert cli.main(["--course", str(scratch), "autograde", "01-keras-overview"]) == 2
    err = capsys.readouterr().err
    assert "apt-get install bubblewrap" in err and "TFGRADER_SANDBOX=off" in err
    assert not (scratch / "autograded").exists()


def test_sandbox_off_only_on_purpose(course, tmp_path, monkeypatch):
    """Is the sandbox on unless the course's config or TFGRADER_SANDBOX turns it off?"""

    from tfgrader.instructor.course import copy_course

    scratch = copy_course(course, tmp_path / "course")
    monkeypatch.delenv("TFGRADER_SANDBOX", raising=False)
    assert schedule.preflight(scratch) is True
    monkeypatch.setenv("TFGRADER_SANDBOX", "off")
    assert schedule.preflight(scratch) is False
    monkeypatch.delenv("TFGRADER_SANDBOX")
    with open(scratch / "nbgrader_config.py", "a") as config:
        config.write("\nc.SandboxedExecute.sandbox = False\n")
    assert schedule.preflight(scratch) is False

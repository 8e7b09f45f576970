"""A Gradescope autograder built from the course: ``tfgrader gradescope ID --out autograder.zip``.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh``
once to build the image, then ``run_autograder`` for each submission, which
must leave ``/autograder/results/results.json``. The zip holds:

- ``setup.sh``: installs bubblewrap and libseccomp from the image's apt, a
  venv at ``/autograder/venv`` with the course's pinned packages
  (``requirements.lock``) and tfgrader itself, and downloads the datasets
  unless they are in the zip;
- ``run_autograder``: grades the submitted notebook with the same pipeline
  as ``tfgrader grade`` (sandbox, trusted verdict, the same checks);
- ``tfgrader/``, ``pyproject.toml``, ``requirements.lock``: the package;
- ``course/``: the course's ``nbgrader_config.py``, this assignment's grader
  module, its release (what students get) and a gradebook that nbgrader
  generated it into. No solution and no other assignment's grader;
- ``datasets/``: the assignment's dataset files, when built with
  ``--datasets include``;
- ``autograder.json``: the assignment and the choices it was built with.

``TFGRADER_GRADESCOPE_ROOT`` moves ``/autograder`` (the tests unpack there)
and ``TFGRADER_PYTHON`` the Python that ``run_autograder`` uses.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import zipfile
from pathlib import Path

from tfgrader.instructor.authoring.public import generate
from tfgrader.instructor.course import CONFIG, CourseLayout, copy_course
from tfgrader.wire import Results
from tfgrader.wire.declarations import declared_checks, public_checks

ROOT_ENV = "TFGRADER_GRADESCOPE_ROOT"
SETTINGS = "autograder.json"
# The dataset files behind each loader of tfgrader.data, found by the loader's name
# in the release notebook and the grader.
DATA_FILES = {
    "mnist": ["mnist.npz"],
    "fashion_mnist": [f"fashion-mnist/{name}" for name in (
        "train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz")],
    "imdb": ["imdb.npz"],
    "imdb_word_index": ["imdb_word_index.json"],
    "auto_mpg": ["auto-mpg.data"],
}
LOADER_CALL = re.compile(r"\bdata\.(" + "|".join(DATA_FILES) + r")\(")

SETUP = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, to build the autograder's image (tfgrader gradescope).
# Pick an Ubuntu 24.04 base image on Gradescope (Python 3.12); PYTHON picks another Python.
set -euo pipefail
source_dir=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$source_dir")
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap libseccomp2 python3-venv >/dev/null
"${PYTHON:-python3}" -m venv "$root/venv"
"$root/venv/bin/pip" install -q --upgrade pip
"$root/venv/bin/pip" install -q -r "$source_dir/requirements.lock"
"$root/venv/bin/pip" install -q --no-deps "$source_dir"
if [ ! -d "$source_dir/datasets" ]; then
    # Keras's cache (~/.keras/datasets) keeps them for every run; grading itself never downloads.
    "$root/venv/bin/python" -c "from tfgrader import data; __LOADS__"
fi
"""

RUN = r"""#!/usr/bin/env bash
# Gradescope runs this for each submission: it grades /autograder/submission/*.ipynb into
# /autograder/results/results.json (tfgrader gradescope). TFGRADER_GRADESCOPE_ROOT moves /autograder.
root=${TFGRADER_GRADESCOPE_ROOT:-/autograder}
exec "${TFGRADER_PYTHON:-$root/venv/bin/python}" -m tfgrader.instructor.outputs.gradescope "$root"
"""


def loaders(course: Path, assignment: str) -> list[str]:
    """The tfgrader.data loaders that the release notebook and the grader call."""
    layout = CourseLayout(course)
    text = layout.grader(assignment).read_text() + layout.release_notebook(assignment).read_text()
    return sorted(set(LOADER_CALL.findall(text)))


def build(course: Path, assignment: str, out: Path, *, datasets: str = "download",
          unsandboxed_fallback: bool = False) -> list[str]:
    """Write the autograder zip of ``assignment`` to ``out``; return the names in it.

    ``datasets``: ``"include"`` puts the assignment's verified dataset files in
    the zip; ``"download"`` has ``setup.sh`` download them. With
    ``unsandboxed_fallback``, a container that cannot run the sandbox grades
    without it, and says so in every result; without, it grades nothing and
    says why.
    """
    from tfgrader.data.sources import resolve

    layout = CourseLayout(course)
    with tempfile.TemporaryDirectory(prefix="tfgrader-gradescope-") as scratch:
        work = copy_course(course, Path(scratch) / "course")
        with (work / CONFIG).open("a") as config:
            config.write(f"\nc.CourseDirectory.db_url = 'sqlite:///{work / 'gradebook.db'}'\n")
        generate(work, assignment)
        wanted = loaders(work, assignment)
        files = {
            "setup.sh": SETUP.replace("__LOADS__", "; ".join(f"data.{name}()" for name in wanted) or "pass"),
            "run_autograder": RUN,
            SETTINGS: json.dumps({"assignment": assignment, "datasets": datasets,
                                  "unsandboxed_fallback": unsandboxed_fallback}, indent=1) + "\n",
        }
        paths = {"course/" + CONFIG: layout.config, "course/gradebook.db": work / "gradebook.db",
                 f"course/graders/{layout.grader(assignment).name}": layout.grader(assignment)}
        release = CourseLayout(work).release_notebook(assignment).parent
        paths |= {f"course/release/{assignment}/{p.relative_to(release)}": p for p in _files(release)}
        package = Path(__file__).resolve().parents[2]
        paths |= {f"tfgrader/{p.relative_to(package)}": p for p in _files(package)}
        project = package.parent
        paths |= {name: project / name for name in ("pyproject.toml", "requirements.lock")}
        if datasets == "include":
            paths |= {f"datasets/{name}": resolve(name) for loader in wanted for name in DATA_FILES[loader]}
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                info = zipfile.ZipInfo(name)
                info.external_attr = (0o100755 if name != SETTINGS else 0o100644) << 16
                archive.writestr(info, text)
            for name, path in sorted(paths.items()):
                archive.write(path, name)
            return archive.namelist()


def _files(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts]


def results_json(results: Results, module: Path, output: str = "") -> dict:
    """Gradescope's ``results.json``: a check students may run before submitting is ``visible``; a hidden
    one shows ``after_published``, when the instructor publishes the grades."""
    shown = public_checks(module)
    data = results.gradescope()
    for test in data["tests"]:
        test["visibility"] = "visible" if test["name"] in shown else "after_published"
    return {**data, "output": output} if output else data


def run(root: Path) -> int:
    """``run_autograder``: grade the submission under ``root`` into ``root/results/results.json``.
    Always writes a results file; exits 0 when grading ran."""
    from tfgrader.instructor.confine.sandbox import SandboxUnavailable
    from tfgrader.instructor.outputs.single import CannotGrade, grade

    source = root / "source"
    settings = json.loads((source / SETTINGS).read_text())
    assignment, course = settings["assignment"], source / "course"
    module = CourseLayout(course).grader(assignment)
    out = root / "results" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    os.environ["TFGRADER_NO_DOWNLOAD"] = "1"
    if (source / "datasets").is_dir():
        os.environ["TFGRADER_DATA_DIR"] = str(source / "datasets")
    note = ""
    notebooks = sorted((root / "submission").rglob("*.ipynb"))
    named = [n for n in notebooks if n.name == f"{assignment}.ipynb"]
    if len(named or notebooks) != 1:
        found = ", ".join(n.name for n in notebooks) or "none"
        results = Results.failing(declared_checks(module), f"Submit one notebook, {assignment}.ipynb (found: "
                                                           f"{found}).", assignment=assignment)
    else:
        notebook = (named or notebooks)[0]
        try:
            results = grade(course, notebook, assignment)
        except SandboxUnavailable as exc:
            if not settings["unsandboxed_fallback"]:
                results = Results.failing(declared_checks(module), "This autograder cannot run student code safely "
                                          "here, so nothing was graded; please tell your instructor.",
                                          assignment=assignment)
                note = (f"Not graded: the sandbox cannot run in this container ({exc}). Rebuild the autograder with "
                        "`tfgrader gradescope --unsandboxed-fallback` to grade without it.")
            else:
                os.environ["TFGRADER_SANDBOX"] = "off"
                results = grade(course, notebook, assignment)
                note = (f"Graded WITHOUT the sandbox, as the instructor allowed: this container cannot run it "
                        f"({exc}).")
        except CannotGrade as exc:
            results = Results.failing(declared_checks(module), f"Your notebook could not be graded: {exc}",
                                      assignment=assignment)
    out.write_text(json.dumps(results_json(results, module, note), indent=1) + "\n")
    print(f"{assignment}: {results.score:g}/{results.max_score:g} points -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get(ROOT_ENV, "/autograder"))))

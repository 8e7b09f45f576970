"""Does a plain (non-editable) install of the package ship every module?"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from conftest import COURSE


def test_wheel_installs_every_module(tmp_path):
    """Built as a wheel and installed into a fresh venv, does every tfgrader module import from there?"""
    # Built from a copy, so that setuptools writes nothing into the checkout.
    source = tmp_path / "source"
    shutil.copytree(COURSE / "tfgrader", source / "tfgrader", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(COURSE / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("tfgrader-*.whl")
    modules = sorted(name[:-3].removesuffix("/__init__").replace("/", ".")
                     for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".py"))
    assert {"tfgrader.wire", "tfgrader.student.exports", "tfgrader.grading.checks.training",
            "tfgrader.instructor.cli"} <= set(modules)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = Path(subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # The dependencies come from this environment; tfgrader only from the wheel.
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(site),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    code = ("import importlib, sys, tfgrader\n"
            f"assert tfgrader.__file__.startswith({str(site)!r}), tfgrader.__file__\n"
            f"for m in {modules!r}:\n    importlib.import_module(m)\nprint(len(sys.modules))")
    proc = subprocess.run([venv / "bin" / "python", "-I", "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]

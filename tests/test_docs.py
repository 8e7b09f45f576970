"""The documentation: the site builds strict, a broken link fails that build, and the README
stays short with every relative link pointing at a file that exists."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README_MAX_LINES = 200
# [text](target) or [text](target "title"); images too. Targets with a scheme are not relative.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
ABSOLUTE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def build(config_dir: Path, site: Path) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` of the site configured in ``config_dir``, into ``site``.

    Anything that reached for the network would meet a proxy that refuses it, and fail the build
    rather than pass because a remote resource happened to answer."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1",
           "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                          cwd=config_dir, env=env, capture_output=True, text=True, timeout=300)


def page_html(site: Path, page: Path) -> Path:
    """Where MkDocs writes a page (directory URLs: ``x.md`` -> ``x/index.html``)."""
    relative = page.relative_to(DOCS).with_suffix("")
    return site / (relative.parent if relative.name == "index" else relative) / "index.html"


def test_site_builds_strict_with_every_page(tmp_path):
    """Does the site build with --strict (no broken link, anchor or page left out of the nav),
    writing every page of docs/?"""
    site = tmp_path / "site"
    proc = build(ROOT, site)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    pages = sorted(DOCS.rglob("*.md"))
    assert pages, "docs/ holds no page"
    missing = [str(page.relative_to(DOCS)) for page in pages if not page_html(site, page).is_file()]
    assert missing == [], f"pages without HTML: {missing}\n{proc.stderr}"


def test_broken_link_fails_the_strict_build(tmp_path):
    """Can the strict build fail: does a link to a page that does not exist stop it?"""
    copy = tmp_path / "project"
    copy.mkdir()
    shutil.copy2(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    shutil.copytree(DOCS, copy / "docs")
    index = copy / "docs" / "index.md"
    index.write_text(index.read_text() + "\nSee [a page that is not there](no-such-page.md).\n")
    proc = build(copy, tmp_path / "site")
    assert proc.returncode != 0, f"a broken link did not fail the strict build:\n{proc.stdout}\n{proc.stderr}"
    assert "no-such-page.md" in proc.stdout + proc.stderr


def test_readme_is_short():
    """Is the README an instructor's quick reference, at most 200 lines, with the rest in docs/?"""
    lines = len((ROOT / "README.md").read_text().splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move detail into docs/"


def test_readme_links_point_at_files():
    """Does every relative link in the README point at a file or folder of the repository?"""
    text = (ROOT / "README.md").read_text()
    targets = [target for target in LINK.findall(text) if not ABSOLUTE.match(target) and not target.startswith("#")]
    assert targets, "the README links to no file of the repository"
    broken = [target for target in targets if not (ROOT / target.split("#", 1)[0]).exists()]
    assert broken == [], f"README.md links to files that do not exist: {broken}"

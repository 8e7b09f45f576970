"""``tfgrader report ID --html DIR --csv FILE``: the class report, rendered in a
real headless Chromium (Debian's, which ./run installs as root) driven by
Playwright: the page renders, its images load, and the console stays clean."""

from __future__ import annotations

import csv
import shutil

import pytest

from tfgrader.instructor import cli

pytestmark = pytest.mark.slow
A = "tiny"


def test_report_writes_csv_and_html(graded_tiny, tmp_path, capsys):
    """Does the report give each student's points per check in CSV, and name the batch's problems in HTML?"""
    page_dir, points = tmp_path / "report", tmp_path / "points.csv"
    assert cli.main(["--course", str(graded_tiny), "report", A, "--html", str(page_dir), "--csv", str(points)]) == 0
    assert f"class report: {page_dir / 'index.html'}" in capsys.readouterr().out
    rows = list(csv.DictReader(points.open()))
    assert [(r["student"], r["score"], r["answer"], r["notes"]) for r in rows] == [
        ("ada", "3", "2", "1"), ("bob", "1", "0", "1"), ("cy", "0", "0", "0"), ("dee", "0", "0", "0")]
    page = (page_dir / "index.html").read_text()
    assert "cy</td><td>stopped:" in page and "dee</td><td>not graded:" in page
    assert "should be 6 times 7" in page  # the most common messages


def test_report_page_renders_in_a_real_browser(graded_tiny, tmp_path):
    """In headless Chromium: does the page render, do its images load, and is the console free of errors?"""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.fail("Chromium is needed for the report's browser test: apt-get install chromium "
                    "(./run test does so as root).")
    from playwright.sync_api import sync_playwright

    assert cli.main(["--course", str(graded_tiny), "report", A, "--html", str(tmp_path / "report")]) == 0
    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((tmp_path / "report" / "index.html").as_uri())
        page.wait_for_load_state("load")
        assert page.title() == f"{A}: class report"
        assert page.locator("h2").count() == 5
        images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert len(images) == 2 and all(done and width > 100 for done, width in images), images
    assert errors == []
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_canvas_export_matches_students_by_login(graded_tiny, tmp_path, capsys):
    """Does the Canvas CSV carry Canvas's columns, the points possible, and each student's total by login?"""
    path = tmp_path / "canvas.csv"
    assert cli.main(["--course", str(graded_tiny), "export", "--canvas", str(path), A]) == 0
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A]
    assert rows[1][0].strip() == "Points Possible" and rows[1][-1] == "3"
    assert [(r[0], r[3], r[-1]) for r in rows[2:]] == [
        ("ada", "ada", "3"), ("bob", "bob", "1"), ("cy", "cy", "0"), ("dee", "dee", "0")]

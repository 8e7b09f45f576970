"""Does every assignment's grader give the right points through the real pipeline?

Each assignment is graded once (see ``graded`` in conftest.py); the tests
only read the results.
"""

import pytest
from conftest import BROKEN, COURSE, GRADED_ASSIGNMENTS, graded_alone, graded_samples

from tfgrader.instructor.authoring import samples
from tfgrader.instructor.batch import runner
from tfgrader.instructor.course import CourseLayout
from tfgrader.instructor.outputs import report

pytestmark = pytest.mark.slow
# Every sample, graded alone in the full run; and in the quick run the
# submissions that carry several samples' faults at once.
SAMPLES = [pytest.param(a, s, id=f"{a}-{s.name}", marks=() if s.name in graded_alone(a) else pytest.mark.full)
           for a in GRADED_ASSIGNMENTS for s in samples.samples(COURSE, a)]
SAMPLES += [pytest.param(a, s, id=f"{a}-{s.name}") for a in GRADED_ASSIGNMENTS for s in graded_samples(a)
            if len(samples.carried(s.name)) > 1]


@pytest.mark.parametrize("assignment", GRADED_ASSIGNMENTS)
def test_reference_scores_full_points(graded, assignment):
    """Does the reference solution pass every check?"""
    outcome = graded(assignment).outcomes["reference"]
    assert outcome.lost == frozenset() and not outcome.error, outcome.messages


@pytest.mark.parametrize("assignment", GRADED_ASSIGNMENTS)
def test_release_copy_scores_zero_without_crashing(graded, assignment):
    """Does the untouched student copy get 0 points, each check with a message?"""
    result = graded(assignment)
    outcome = result.outcomes["release"]
    assert result.runs["release"].ok and outcome.ok and outcome.score == 0
    assert all(message and "Traceback" not in message for message in outcome.messages.values())


# What a student's message must never show: a traceback or Keras's own error
# text, an object's address, or a path on the server.
INTERNALS = ("Traceback", 'File "', "keras.src", "site-packages", "Exception encountered", " at 0x",
             "/tmp/", "/home/", "/usr/", "/root/", "/work/", "test_0")


@pytest.mark.parametrize("assignment", GRADED_ASSIGNMENTS)
def test_messages_show_no_internals_or_paths(graded, assignment):
    """Does every message of every graded submission (release copy, samples) name no internals and no path?"""
    result = graded(assignment)
    messages = [(student, check, message) for student, outcome in result.outcomes.items()
                for check, message in outcome.messages.items() if message]
    assert {student for student, _, _ in messages} >= {"release", result.first}
    leaks = [(student, check, message) for student, check, message in messages
             if any(token in message for token in (*INTERNALS, str(result.course)))]
    assert leaks == []


@pytest.mark.parametrize(("assignment", "sample"), SAMPLES)
def test_wrong_submission_loses_exactly_its_checks(graded, assignment, sample):
    """Does each wrong submission lose exactly the checks it violates, with a message (one with several
    samples' faults: exactly the union of theirs)?"""
    outcome = graded(assignment).outcomes[sample.name]
    assert outcome.lost == sample.loses, outcome.messages
    assert outcome.ok and all(outcome.messages.values())


@pytest.mark.parametrize("assignment", GRADED_ASSIGNMENTS)
def test_every_check_has_a_passing_and_a_failing_submission(graded, assignment):
    """Is each check both passed (by the reference) and failed (by some sample)?"""
    result = graded(assignment)
    failed = set().union(*(result.outcomes[sample.name].lost for sample in graded_samples(assignment)))
    assert failed == set(result.results(result.first)), "every check needs a sample that fails it"


@pytest.mark.parametrize("assignment", GRADED_ASSIGNMENTS)
def test_grading_alone_again_gives_the_batch_results(graded, assignment):
    """Graded a second time, alone with `tfgrader grade`, does a wrong sample (passing some checks, failing
    others with measured figures in their messages; the reference too in the full run) get the points and
    messages the nbgrader batch gave it? (test_single.py grades right and wrong notebooks of the tiny
    course that way on every run.)"""
    result = graded(assignment)
    batch = {row.student: row for row in report.scores(result.course, assignment)}
    for student, alone in result.alone.items():
        assert alone.checks == batch[student].checks, student
        assert alone.score == batch[student].score and alone.max_score == batch[student].max_score
    if "reference" in result.alone:
        assert result.alone["reference"].score == result.alone["reference"].max_score
    assert result.alone[result.first].score < result.alone[result.first].max_score


@pytest.mark.parametrize("assignment", GRADED_ASSIGNMENTS)
def test_broken_notebook_is_reported_and_batch_goes_on(graded, assignment):
    """Is an unreadable notebook reported while the others are still graded?"""
    result = graded(assignment)
    assert not result.runs[BROKEN].ok and result.runs[BROKEN].error
    assert all(run.ok for student, run in result.runs.items() if student != BROKEN)


@pytest.mark.parametrize("assignment", GRADED_ASSIGNMENTS)
def test_feedback_shows_messages_but_no_hidden_code(graded, assignment):
    """Does a student's feedback carry the failed check's message and no grader code?"""
    result = graded(assignment)
    student = result.first
    html = (runner.feedback(result.course, assignment, student) / f"{assignment}.html").read_text()
    assert "CheckFailed: " in html
    grader = pipeline_module_names(assignment)
    for secret in ("HIDDEN TESTS", "tfgrader.check(", *grader):
        assert secret not in html


@pytest.mark.parametrize("assignment", GRADED_ASSIGNMENTS)
def test_self_check_agrees_with_grading(graded, assignment):
    """Run on the files the grader saw, do the public checks that the release ships pass the reference,
    and give the first sample each public check's verdict and message that grading gave?"""
    from concurrent.futures import ThreadPoolExecutor

    from tfgrader.instructor.authoring import public
    from tfgrader.instructor.confine import verdict

    result = graded(assignment)
    module = result.course / "release" / assignment / public.FILENAME
    students = ("reference", result.first)
    with ThreadPoolExecutor(2) as pool:
        found = dict(zip(students, pool.map(lambda student: verdict.grade(
            module, CourseLayout(result.course).record(student, assignment) / "export").to_json()["checks"],
            students)))
    assert all(check["passed"] for check in found["reference"].values())
    for student, checks in found.items():
        graded_checks = result.results(student)
        assert {name: (c["passed"], c["message"]) for name, c in checks.items()} == {
            name: (graded_checks[name]["passed"], graded_checks[name]["message"]) for name in checks}, student


# Each assignment's checks that draw what the grader measured.
PLOTTED = {"01-keras-overview": 1, "02-basic_classification": 1, "03-basic_text_classification": 1,
           "04-basic_regression": 1, "05-overfit_and_underfit": 2, "06-save_and_restore_models": 0}


@pytest.mark.parametrize("assignment", GRADED_ASSIGNMENTS)
def test_feedback_shows_the_graders_plots(graded, assignment):
    """Does the reference's feedback show, as images, the plots its checks drew (retraining against the
    threshold, predictions against the truth, the regularized run against its twin)?"""
    result = graded(assignment)
    drawn = {name: check["figure"] for name, check in result.results("reference").items() if "figure" in check}
    assert len(drawn) == PLOTTED[assignment], list(drawn)
    html = (runner.feedback(result.course, assignment, "reference") / f"{assignment}.html").read_text()
    assert all(f'src="data:image/png;base64,{figure}' in html for figure in drawn.values())


# TensorFlow's start-up lines, which a student should never see in a graded notebook.
STARTUP_NOISE = ("absl::", "cpu_feature_guard", "oneDNN", "TF_ENABLE_ONEDNN_OPTS", "This TensorFlow binary",
                 "cuda", "Unable to register")


@pytest.mark.parametrize("assignment", GRADED_ASSIGNMENTS)
def test_graded_notebooks_hold_no_tensorflow_startup_noise(graded, assignment):
    """Is every output of every graded notebook free of TensorFlow's start-up lines?"""
    import nbformat

    result = graded(assignment)
    noisy = []
    for path in sorted((result.course / "autograded").glob(f"*/{assignment}/{assignment}.ipynb")):
        for cell in nbformat.read(path, 4).cells:
            for output in cell.get("outputs", []):
                text = output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
                noisy += [(path.parent.parent.name, word) for word in STARTUP_NOISE if word in text]
    assert noisy == []


def pipeline_module_names(assignment):
    """The grader's test names and EXPORTS: none may appear in feedback."""
    import ast

    from tfgrader.instructor.course import CourseLayout

    tree = ast.parse(CourseLayout(COURSE).grader(assignment).read_text())
    return [node.name for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")] + ["EXPORTS"]

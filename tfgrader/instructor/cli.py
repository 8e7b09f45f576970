"""The ``tfgrader`` command: what nbgrader lacks for this course.

Plain nbgrader still works in the course directory (generate_assignment,
autograde, generate_feedback, export); these commands add data checks, the
demo, grader validation and batch autograding with a readable gradebook.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

EXAMPLES = """examples:
  tfgrader demo                          generate, grade sample submissions, print the gradebook
  tfgrader data                          check the dataset files the course will use
  tfgrader generate 01-keras-overview    write its public checks, then nbgrader generate_assignment
  tfgrader validate 01-keras-overview    prove the graders on reference, release copy and wrong samples
  tfgrader autograde 01-keras-overview   autograde new and changed submissions, one student per process
  tfgrader autograde --force 01-keras-overview   regrade every submission
  tfgrader autograde --scheduler tcp://HOST:8786 01-keras-overview   one task per submission on a Dask cluster
  tfgrader autograde --workers 2 01-keras-overview   two students at a time
  tfgrader report 01-keras-overview      print points and failed checks per student
  tfgrader report 01-keras-overview --html reports/01-keras-overview --csv points.csv   and write the class report
  tfgrader export --canvas grades.csv    the gradebook as a CSV file that Canvas imports
  tfgrader lti push --dry-run 01-keras-overview   what LTI 1.3 grade passback would send to the LMS
  tfgrader mutate 01-keras-overview      grade machine-made wrong solutions and valid rewrites of the reference
  tfgrader mutate 01-keras-overview --save-sample m_build_model_units_2   keep a killed mutant as a sample
  tfgrader gradescope 01-keras-overview --out autograder.zip   a Gradescope autograder of the assignment
  tfgrader grade my.ipynb --assignment 01-keras-overview --json results.json --junit report.xml
                                         grade one notebook, outside any gradebook (CI, Gradescope)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tfgrader", description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--course", type=Path, help="course directory (default: found from the working directory)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="generate, grade sample submissions and print the gradebook")
    generate_cmd = commands.add_parser("generate", help="write the public checks into source/, then "
                                                          "nbgrader generate_assignment: source/ -> release/")
    generate_cmd.add_argument("assignments", nargs="+")
    data_cmd = commands.add_parser("data", help="check dataset files and where they are looked for")
    data_cmd.add_argument("--dir", help="folder to check (default: TFGRADER_DATA_DIR, else Keras's cache)")
    for name, text in (("validate", "prove an assignment's graders"), ("autograde", "autograde all submissions"),
                       ("report", "print the gradebook of an assignment")):
        command = commands.add_parser(name, help=text)
        command.add_argument("assignment")
        if name == "report":
            command.add_argument("--html", type=Path, metavar="DIR",
                                 help="also write the class report (plots, common messages, problems) into DIR")
            command.add_argument("--csv", type=Path, metavar="FILE", help="also write points per check as CSV")
        if name != "report":
            command.add_argument("--workers", type=int, default=None,
                                 help="students graded at once, each in its own process "
                                      "(default: TFGRADER_WORKERS, else 1; about the number of cores)")
        if name == "validate":
            command.add_argument("--quick", action="store_true",
                                 help="grade a covering set of the samples, packed up to three faults a submission "
                                      "(each check still failed by one), instead of every sample alone")
        if name == "autograde":
            command.add_argument("--force", action="store_true",
                                 help="regrade every submission, also those unchanged since they were graded")
            command.add_argument("--scheduler", metavar="tcp://HOST:8786",
                                 help="grade on this Dask cluster, one task per submission (the course on a shared "
                                      "filesystem, the gradebook on PostgreSQL)")
    mutate_cmd = commands.add_parser("mutate", help="grade mutants and valid rewrites of the reference: "
                                                    "the mutation score and the false rejections of the graders")
    mutate_cmd.add_argument("assignment")
    mutate_cmd.add_argument("--mutants", type=int, default=30, metavar="N",
                            help="mutants to grade, spread over the operators (default 30)")
    mutate_cmd.add_argument("--rewrites", type=int, default=12, metavar="N",
                            help="valid rewrites to grade, spread over their classes (default 12)")
    mutate_cmd.add_argument("--workers", type=int, default=None, help="gradings at once (default: TFGRADER_WORKERS, "
                                                                      "else 1)")
    mutate_cmd.add_argument("--workdir", type=Path, metavar="DIR",
                            help="where the batch lives and resumes (default: mutation/<id>/ in the course)")
    mutate_cmd.add_argument("--list", action="store_true", help="list the chosen mutants and rewrites; grade nothing")
    mutate_cmd.add_argument("--save-sample", action="append", default=[], metavar="MUTANT",
                            help="add this killed mutant to graders/samples_<id>.py with the checks it loses")
    export_cmd = commands.add_parser("export", help="write the gradebook as a CSV file that Canvas imports")
    export_cmd.add_argument("--canvas", type=Path, required=True, metavar="FILE")
    export_cmd.add_argument("assignments", nargs="*", help="(default: every assignment of the course)")
    lti_cmd = commands.add_parser("lti", help="LTI 1.3: send the gradebook's scores to the LMS, and the tool's "
                                              "keys (docs/lms.md)")
    lti_verbs = lti_cmd.add_subparsers(dest="verb", required=True)
    push_cmd = lti_verbs.add_parser("push", help="post each student's score to the platform's line item")
    push_cmd.add_argument("assignments", nargs="*", help="(default: every assignment in the gradebook)")
    push_cmd.add_argument("--dry-run", action="store_true", help="only read from the platform, and print what "
                                                                 "would be sent")
    jwks_cmd = lti_verbs.add_parser("jwks", help="print the tool's public keys (JWKS) to register with the platform")
    jwks_cmd.add_argument("--jwk", action="store_true", help="print the one key alone (Canvas's 'Public JWK')")
    key_cmd = lti_verbs.add_parser("key", help="write a new private key for the tool (mode 600)")
    key_cmd.add_argument("file", type=Path)
    scope_cmd = commands.add_parser("gradescope", help="build a Gradescope autograder zip of an assignment "
                                                       "(docs/lms.md)")
    scope_cmd.add_argument("assignment")
    scope_cmd.add_argument("--out", type=Path, default=Path("autograder.zip"), metavar="ZIP",
                           help="(default: autograder.zip)")
    scope_cmd.add_argument("--datasets", choices=("download", "include"), default="download",
                           help="'include': put the dataset files in the zip; 'download' (default): setup.sh "
                                "downloads them")
    scope_cmd.add_argument("--unsandboxed-fallback", action="store_true",
                           help="where the container cannot run the sandbox, grade without it (each result says "
                                "so); by default such a container grades nothing")
    grade_cmd = commands.add_parser("grade", help="grade one notebook outside any gradebook (for CI and Gradescope)")
    grade_cmd.add_argument("notebook", type=Path)
    grade_cmd.add_argument("--assignment", required=True, help="the assignment it is a submission of")
    grade_cmd.add_argument("--json", type=Path, help="write Gradescope's results.json here")
    grade_cmd.add_argument("--junit", type=Path, help="write JUnit XML here, one testcase per check")
    args = parser.parse_args(argv)
    from tfgrader.instructor.confine.sandbox import SandboxUnavailable

    named = getattr(args, "assignments", None) or [getattr(args, "assignment", None)]
    if args.command != "grade" and any(named):
        from tfgrader.instructor.course import CourseLayout

        layout = CourseLayout(_course(args))
        unknown = [a for a in named if not layout.source_notebook(a).is_file()]
        if unknown:
            known = sorted(p.parent.name for p in (layout.root / "source").glob("*/*.ipynb")
                           if p.stem == p.parent.name)
            print(f"tfgrader {args.command}: no assignment {', '.join(map(repr, unknown))} in {layout.root} "
                  f"(no source/<id>/<id>.ipynb); its assignments: {', '.join(known) or 'none'}", file=sys.stderr)
            return 2
    try:
        return COMMANDS[args.command](args)
    except SandboxUnavailable as exc:
        print(f"tfgrader: cannot grade safely here. {exc}", file=sys.stderr)
        return 2


def _course(args: argparse.Namespace) -> Path:
    from tfgrader.instructor.course import find_course_dir

    return args.course.resolve() if args.course else find_course_dir()


def demo(args: argparse.Namespace) -> int:
    from tfgrader.instructor.authoring import demo as demo_module

    return demo_module.run(_course(args))


def generate(args: argparse.Namespace) -> int:
    from tfgrader.instructor.authoring.public import generate as generate_assignment

    course = _course(args)
    for assignment in args.assignments:
        generate_assignment(course, assignment)
        print(f"{assignment}: release/{assignment}/ generated")
    return 0


def data(args: argparse.Namespace) -> int:
    import os

    from tfgrader import data as data_module

    folder = args.dir or os.environ.get(data_module.ENV_DATA_DIR) or str(data_module.keras_home() / "datasets")
    print(f"looking in: {data_module.describe_sources(args.dir)}\nchecking {folder}:")
    results = data_module.verify(folder)
    for relpath, status in results:
        print(f"  {relpath:<44} {status}")
    if all(status == "ok" for _, status in results):
        return 0
    print(f"Files that are not ok are looked for next in Keras's cache, then downloaded. Offline, put verified "
          f"copies in one folder and set {data_module.ENV_DATA_DIR} to it.")
    return 1


def validate(args: argparse.Namespace) -> int:
    from tfgrader.instructor.authoring.validate import format_outcomes, validate as run_validation

    with tempfile.TemporaryDirectory(prefix="tfgrader-validate-") as scratch:
        outcomes = run_validation(_course(args), args.assignment, Path(scratch) / "course", workers=args.workers,
                                  quick=args.quick)
    print(format_outcomes(outcomes))
    return 0 if all(o.ok for o in outcomes) else 1


def autograde(args: argparse.Namespace) -> int:
    from tfgrader.instructor.batch import schedule
    from tfgrader.instructor.batch.progress import BatchProgress, summary
    from tfgrader.instructor.course import CourseLayout
    from tfgrader.instructor.outputs import report

    course = _course(args)
    if args.scheduler and CourseLayout(course).db_url().startswith("sqlite"):
        print("tfgrader: the gradebook is SQLite, which workers on other machines must not share; set "
              "c.CourseDirectory.db_url to a PostgreSQL URL in nbgrader_config.py (see docs/operating.md).", file=sys.stderr)
    started = time.monotonic()
    with BatchProgress(len(CourseLayout(course).students(args.assignment)), f"autograde {args.assignment}") as shown:
        runs = schedule.autograde_all(course, args.assignment, workers=args.workers, force=args.force,
                                      scheduler=args.scheduler, on_done=shown.done)
    problems = {r.student: r.error for r in runs if not r.ok}
    print(report.format_table(report.scores(course, args.assignment), problems))
    print(summary(runs, time.monotonic() - started))
    return 0


def grade(args: argparse.Namespace) -> int:
    """Exit 0 when grading ran, whatever the score; 2 when it could not run."""
    from tfgrader.instructor.course import CourseLayout
    from tfgrader.instructor.outputs import gradescope, report, single

    try:
        score = single.grade(_course(args), args.notebook.resolve(), args.assignment)
    except single.CannotGrade as exc:
        print(f"tfgrader grade: cannot grade: {exc}", file=sys.stderr)
        return 2
    if args.json:
        module = CourseLayout(_course(args)).grader(args.assignment)
        args.json.write_text(json.dumps(gradescope.results_json(score, module), indent=1) + "\n")
    if args.junit:
        args.junit.write_text(score.junit())
    print(report.format_table([score]))
    return 0


def gradescope_cmd(args: argparse.Namespace) -> int:
    from tfgrader.instructor.outputs import gradescope
    from tfgrader.wire.messages import plural

    names = gradescope.build(_course(args), args.assignment, args.out, datasets=args.datasets,
                             unsandboxed_fallback=args.unsandboxed_fallback)
    data = [n for n in names if n.startswith("datasets/")]
    where = f"{plural(len(data), 'dataset file')} in it" if data else "datasets downloaded by setup.sh"
    print(f"{args.out}: Gradescope autograder for {args.assignment}, {len(names)} files, {where}; upload it "
          "under Configure Autograder, on an Ubuntu 24.04 base image (docs/lms.md)")
    return 0


def export(args: argparse.Namespace) -> int:
    from tfgrader.instructor.course import ASSIGNMENTS
    from tfgrader.instructor.outputs import canvas

    canvas.write_canvas_csv(_course(args), args.assignments or list(ASSIGNMENTS), args.canvas)
    print(f"Canvas gradebook: {args.canvas} (Grades > Import in Canvas)")
    return 0


def lti(args: argparse.Namespace) -> int:
    """Exit 1 when a score did not reach the platform; 2 when nothing could be sent."""
    from tfgrader.instructor.outputs import lti as lti_module

    try:
        if args.verb == "key":
            lti_module.new_key(args.file)
            print(f"{args.file}: a new private key; set c.LtiPlatform.private_key_file to it, then register the "
                  "output of `tfgrader lti jwks` with the platform")
            return 0
        settings = lti_module.LtiPlatform.of(_course(args))
        if args.verb == "jwks":
            keys = lti_module.jwks(settings)
            print(json.dumps(keys["keys"][0] if args.jwk else keys, indent=1))
            return 0
        outcomes = lti_module.push(_course(args), args.assignments or lti_module.assignments(_course(args)),
                                   dry_run=args.dry_run, settings=settings)
    except FileExistsError:
        print(f"tfgrader lti key: {args.file} exists; it is left as it is", file=sys.stderr)
        return 2
    except lti_module.LtiError as exc:
        print(f"tfgrader lti {args.verb}: {exc}", file=sys.stderr)
        return 2
    print(f"{settings.issuer}, deployment {settings.deployment_id}{' (dry run: nothing sent)' if args.dry_run else ''}")
    for o in outcomes:
        print(f"{o.assignment:<32} {o.student:<20} {o.status:<18} {o.detail}")
    counts = {status: sum(o.status == status for o in outcomes) for status in dict.fromkeys(o.status for o in outcomes)}
    print(", ".join(f"{n} {status}" for status, n in counts.items()) or "no students")
    return int(any(o.status in (lti_module.REFUSED, lti_module.NOT_ON_ROSTER) for o in outcomes))


def mutate(args: argparse.Namespace) -> int:
    """Exit 1 when the reference loses points, a mutant survives and is not recorded, or a rewrite is refused."""
    from tfgrader.instructor.authoring import mutate as mutation
    from tfgrader.instructor.authoring.mutate import report as mutation_report, run as mutation_run
    from tfgrader.instructor.batch.progress import BatchProgress

    course = _course(args)
    found = mutation.candidates(course, args.assignment)
    chosen = (mutation.choose(found, mutation.MUTANT, args.mutants, args.assignment)
              + mutation.choose(found, mutation.REWRITE, args.rewrites, args.assignment))
    recorded = {**mutation.equivalents(course, args.assignment),
                **mutation.equivalents(course, args.assignment, mutation.ACCEPTED)}
    stale = sorted(set(recorded) - {m.name for m in found})
    if stale:
        print(f"tfgrader mutate: equivalent_*.toml names mutants the operators no longer make: {', '.join(stale)}",
              file=sys.stderr)
    if args.list:
        for m in chosen:
            print(f"{m.name:<48} {m.detail}")
        print(f"{len(chosen)} of {len(found)} that the operators make")
        return 0
    started = time.monotonic()
    with BatchProgress(len(chosen) + 1, f"mutate {args.assignment}") as shown:
        reference, graded = mutation_run.grade(course, args.assignment, chosen, args.workdir, args.workers,
                                               on_done=shown.done)
    data = mutation_report.summary(args.assignment, reference, graded,
                                   mutation_report.covered_sets(course, args.assignment), time.monotonic() - started)
    print(mutation_report.text(data))
    json_path, page = mutation_report.write(course, data)
    print(f"report: {page} ({json_path.name} beside it)")
    by_name = {g.mutant.name: g for g in graded}
    for name in args.save_sample:
        g = by_name.get(name)
        if g is None or g.outcome != mutation_run.KILLED:
            print(f"tfgrader mutate: {name} is not a killed mutant of this run; not saved", file=sys.stderr)
            continue
        print(f"sample {name} (loses {sorted(g.lost)}) added to {mutation_report.save_sample(course, args.assignment, g)}")
    bad = (reference.lost or data["mutants"]["survived"] > data["mutants"]["accepted"]
           or data["rewrites"]["false_rejections"])
    return 1 if bad else 0


def report_cmd(args: argparse.Namespace) -> int:
    from tfgrader.instructor.outputs import class_report, report

    course = _course(args)
    rows = report.scores(course, args.assignment)
    print(report.format_table(rows))
    if args.csv:
        class_report.write_csv(rows, args.csv)
        print(f"points per check: {args.csv}")
    if args.html:
        print(f"class report: {class_report.write_html(course, args.assignment, args.html)}")
    return 0


COMMANDS = {"demo": demo, "data": data, "validate": validate, "autograde": autograde, "report": report_cmd,
            "grade": grade, "export": export, "generate": generate, "mutate": mutate, "lti": lti,
            "gradescope": gradescope_cmd}

if __name__ == "__main__":
    sys.exit(main())

"""The child process of isolation.py: checks a diagram nobody has deployed yet and runs
its test cases, under resource limits, with no database, no configuration and no
secrets in its environment. Reads one job (JSON) on stdin; writes JSON lines on stdout:
{"case": name} as each case starts, then {"result": …}.

Run as `python -I -B -c …` (isolation.py), so that no environment variable, user site
or working directory of the server's reaches it.
"""
import importlib
import json
import os
import resource
import sys
import traceback
from pathlib import Path

from flask import Flask
from flask_babel import Babel

from app.workflow import parsing, testcases
from app.workflow.registry import Candidate, Lane, install

APP_DIR = Path(__file__).resolve().parent.parent


def limit(cpu_seconds: int, memory_bytes: int) -> None:
    """Set before any of the diagram is read: CPU time (SIGXCPU past it, then SIGKILL),
    address space, no core dumps and no file the diagram could write; and a lower
    priority, so that the web workers beside it keep answering."""
    os.nice(10)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def _never_called(params, ctx):  # cases stub every service task (testcases.StubEngine)
    raise RuntimeError("handlers do not run in test cases")


def _nobody(subject):
    return Candidate()


def install_registry(names: dict) -> None:
    """The server's registry as far as checking and cases need it: the names of handlers,
    forms and lanes, and the script helpers themselves (pure functions, imported)."""
    helpers = {}
    for name, path in names.get("helpers", {}).items():
        module, _, attribute = path.partition(":")
        helpers[name] = getattr(importlib.import_module(module), attribute)
    install(handlers={n: _never_called for n in names.get("handlers", [])},
            forms={n: type(n, (), {"FIELD_NAMES": tuple(fields)}) for n, fields in names.get("forms", {}).items()},
            lanes={n: Lane(resolve=_nobody) for n in names.get("lanes", [])},
            helpers=helpers)


def emit(**line) -> None:
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _problems(problems) -> list[dict]:
    return [{"file": p.file, "element_id": p.element_id, "line": p.line, "message": p.message,
             "severity": p.severity} for p in problems]


def _start_names(cases) -> set[str]:
    """The data the process starts with, as its cases start it (script_names reads it)."""
    return {name for case in cases or [] if isinstance(case, dict) and isinstance(case.get("start"), dict)
            for name in case["start"]}


def _progress(cases):
    """The cases, announcing each as it starts: an overrun then names its case."""
    for case in cases:
        emit(case=str(case.get("name") or "") if isinstance(case, dict) else "")
        yield case


def check(job: dict) -> dict:
    """A deploy's gate: the diagram parses and validates, and its cases pass."""
    try:
        parsed = parsing.parse(job["xml"], job["file_name"], _start_names(job["cases"]))
    except parsing.DefinitionError as error:
        return {"problems": _problems(error.problems)}
    problems = testcases.deploy_problems(parsed, job["xml"], job["file_name"], _progress(job["cases"]))
    return {"problems": _problems(problems or parsed.warnings)}


def run_cases(job: dict) -> dict:
    """The modeler's 运行用例: the problems if the diagram does not validate, else each
    case's result."""
    try:
        parsed = parsing.parse(job["xml"], job["file_name"], _start_names(job["cases"]))
    except parsing.DefinitionError as error:
        return {"problems": _problems(error.problems)}
    results = testcases.run_parsed(parsed, _progress(job["cases"]), job.get("key"))
    return {"results": [{"name": r.name, "passed": r.passed, "message": r.message, "element_id": r.element_id,
                         "path": r.path} for r in results]}


def validate(job: dict) -> dict:
    return {"problems": _problems(parsing.validate(job["xml"], job["file_name"], _start_names(job.get("cases"))))}


JOBS = {"check": check, "cases": run_cases, "validate": validate}


def main() -> None:
    limits = json.loads(sys.argv[1])
    limit(limits["cpu_seconds"], limits["memory_bytes"])
    job = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    install_registry(job.get("registry", {}))
    app = Flask("isolation", root_path=str(APP_DIR))
    Babel(app, locale_selector=lambda: job.get("locale") or "zh")
    with app.test_request_context():
        try:
            emit(result=JOBS[job["job"]](job))
        except Exception:  # a diagram the checks did not foresee: the server logs what happened
            traceback.print_exc()
            emit(result={"crashed": True})

"""Diagrams nobody has deployed yet run apart from the server.

Whatever runs such a diagram on behalf of a request — the cases a deploy must pass, the
modeler's 运行用例 and 校验 — runs in a child process (isolation_child.py): a fresh
interpreter started with `-I` and an environment without the server's configuration,
so no secret, database connection or session key is in it; CPU time and address space
limited by setrlimit, and a wall-clock timeout besides. The sandbox (script_guards.py)
is the first wall; this is the second, for what the first might miss. An overrun is
reported as a problem naming the case that was running.

Deployed definitions are trusted to this extent: their scripts run in the worker, under
the sandbox's own limits.
"""
import json
import logging
import subprocess
import sys
import threading
from pathlib import Path

from flask_babel import get_locale, gettext

from app.workflow import definitions
from app.workflow.parsing import DefinitionError, Problem, errors, process_key
from app.workflow.script_names import form_fields
from app.workflow.registry import REGISTRY
from app.workflow.testcases import CaseFileError, CaseResult, cases_for, cases_path

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent.parent
CPU_SECONDS = 20
MEMORY_BYTES = 512 * 1024 * 1024
WALL_SECONDS = 30
ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
BOOT = ("import sys; sys.path.insert(0, {root!r}); "
        "from app.workflow.isolation_child import main; main()")
# a worker runs at most this many children at once; more wait their turn
_RUNNING = threading.BoundedSemaphore(2)


class Overrun(Exception):
    """The child went past a limit; `case` names the case it was running, if any."""

    def __init__(self, limit: str, case: str | None):
        super().__init__(limit)
        self.limit, self.case = limit, case


def _registry() -> dict:
    return {"handlers": sorted(REGISTRY.handlers), "lanes": sorted(REGISTRY.lanes),
            "forms": {name: sorted(form_fields(form)) for name, form in REGISTRY.forms.items()},
            "helpers": {name: f"{f.__module__}:{f.__qualname__}" for name, f in REGISTRY.helpers.items()}}


def _run(job: dict) -> dict:
    """The child's result for `job`; Overrun if it went past a limit or died."""
    job = {**job, "registry": _registry(), "locale": str(get_locale() or "zh")}
    limits = json.dumps({"cpu_seconds": CPU_SECONDS, "memory_bytes": MEMORY_BYTES})
    command = [sys.executable, "-I", "-B", "-c", BOOT.format(root=str(ROOT)), limits]
    with _RUNNING:
        try:
            finished = subprocess.run(command, input=json.dumps(job).encode("utf-8"), capture_output=True,
                                      env=ENVIRONMENT, cwd="/", timeout=WALL_SECONDS, check=False)
        except subprocess.TimeoutExpired as timeout:
            raise Overrun(gettext("运行超过 %(seconds)d 秒", seconds=WALL_SECONDS),
                          _last_case(timeout.output)) from None
    lines = _lines(finished.stdout)
    result = next((line["result"] for line in reversed(lines) if "result" in line), None)
    if finished.returncode != 0 or result is None:
        raise Overrun(gettext("超出 CPU 时间（%(seconds)d 秒）或内存（%(megabytes)d MB）限制", seconds=CPU_SECONDS,
                              megabytes=MEMORY_BYTES // 2**20), _last_case(finished.stdout))
    if result.get("crashed"):
        log.error("checking a diagram failed in its child process:\n%s", finished.stderr.decode("utf-8", "replace"))
        raise Overrun(gettext("检查时出错（已记录，请联系管理员）"), _last_case(finished.stdout))
    return result


def _lines(output: bytes | None) -> list[dict]:
    found = []
    for raw in (output or b"").decode("utf-8", "replace").splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if isinstance(line, dict):
            found.append(line)
    return found


def _last_case(output) -> str | None:
    cases = [line["case"] for line in _lines(output) if "case" in line]
    return cases[-1] if cases else None


def _overrun_problem(overrun: Overrun, file_name: str) -> Problem:
    if overrun.case is not None:
        message = gettext("用例「%(name)s」%(limit)s，已停止", name=overrun.case or "-", limit=overrun.limit)
    else:
        message = gettext("流程图校验%(limit)s，已停止", limit=overrun.limit)
    return Problem(file_name, "", None, message)


def _problems(rows) -> list[Problem]:
    return [Problem(r["file"], r["element_id"], r["line"], r["message"], r.get("severity", "error")) for r in rows]


def _cases_of(key: str | None, file_name: str) -> list[dict]:
    """The process's cases (a file of the release, read here); DefinitionError if unreadable."""
    try:
        return cases_for(key) if key else []
    except CaseFileError as error:
        raise DefinitionError([Problem(cases_path(key).name, "", None, str(error))]) from None


def validate(xml: str, file_name: str) -> list[Problem]:
    """The diagram's problems, checked in a child process: errors (deploy refuses them)
    and warnings."""
    try:
        cases = _cases_of(process_key(xml), file_name)
        return _problems(_run({"job": "validate", "xml": xml, "file_name": file_name, "cases": cases})["problems"])
    except DefinitionError as error:
        return error.problems
    except Overrun as overrun:
        return [_overrun_problem(overrun, file_name)]


def run_cases(xml: str, key: str) -> tuple[list[Problem], list[CaseResult]]:
    """The modeler's 运行用例: (the diagram's problems, []) if it does not validate, else
    ([], the result of each of the process's cases against it)."""
    file_name = f"{key}.bpmn"
    try:
        cases = _cases_of(key, file_name)
        reply = _run({"job": "cases", "xml": xml, "file_name": file_name, "key": key, "cases": cases})
    except DefinitionError as error:
        return [], [CaseResult(p.file, False, p.message, None, []) for p in error.problems]
    except Overrun as overrun:
        name = overrun.case if overrun.case is not None else gettext("流程图校验")
        return [], [CaseResult(name, False, _overrun_problem(overrun, file_name).message, None, [])]
    if "problems" in reply:
        return errors(_problems(reply["problems"])), []
    return [], [CaseResult(r["name"], r["passed"], r["message"], r["element_id"], r["path"]) for r in reply["results"]]


def deploy(xml: str, source: str, actor=None):
    """A diagram from a request: checked, and its cases run, in a child process; then
    stored as definitions.deploy stores it. (definition, created, warnings); raises
    DefinitionError."""
    try:
        cases = _cases_of(process_key(xml), source)
        problems = _problems(_run({"job": "check", "xml": xml, "file_name": source, "cases": cases})["problems"])
    except Overrun as overrun:
        problems = [_overrun_problem(overrun, source)]
    if errors(problems):
        raise DefinitionError(problems)
    definition, created = definitions.deploy(xml, source, actor=actor)
    return definition, created, problems

"""The shape of a BPMN test case and its expectations (see processes/README.md):
checked before a case runs, so a typo in a case file is reported as such and not as
a diagram that went the wrong way."""
import json

from flask_babel import gettext
from SpiffWorkflow.util.task import TaskState

CASE_KEYS = {"name", "about", "start", "stubs", "steps", "expect"}
ACTIONS = ("complete", "fire_timers", "fire_timer", "message", "expect")
STEP_EXTRAS = {"complete": {"data"}, "message": {"payload", "correlations"}}
TEXT_LISTS = ("path", "path_includes", "path_excludes", "ready", "waiting", "thrown")
EXPECT_KEYS = set(TEXT_LISTS) | {"end", "completed", "data", "calls"}
CALL_KEYS = {"task", "handler", "params"}


class CaseFailure(Exception):
    """A case did not hold: `message` says how, `element_id` where the run diverged."""

    def __init__(self, message: str, element_id: str | None = None):
        super().__init__(message)
        self.message, self.element_id = message, element_id


def listing(items) -> str:
    items = [str(i) for i in items]
    return "、".join(items) if items else gettext("无")


def trail(path) -> str:
    return " → ".join(path) if path else gettext("（尚未经过任何元素）")


def shown(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def ready_ids(workflow) -> list[str]:
    return [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True)]


def waiting_ids(workflow) -> list[str]:
    return [t.task_spec.bpmn_id for t in workflow.event_manager.tasks.values()]


# ---- format ---------------------------------------------------------------------------

def _bad(error: str):
    raise CaseFailure(gettext("格式错误：%(error)s", error=error))


def _unknown(keys, allowed):
    extra = sorted(set(keys) - set(allowed))
    if extra:
        _bad(gettext("未知的键 %(keys)s（可用：%(allowed)s）", keys=listing(extra), allowed=listing(sorted(allowed))))


def _typed(value, kind, key):
    checks = {"object": lambda v: isinstance(v, dict), "list": lambda v: isinstance(v, list),
              "text": lambda v: isinstance(v, str) and v != "",
              "texts": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
              "bool": lambda v: isinstance(v, bool)}
    names = {"object": gettext("JSON 对象"), "list": gettext("JSON 列表"), "text": gettext("非空文本"),
             "texts": gettext("文本列表"), "bool": "true / false"}
    if not checks[kind](value):
        _bad(gettext("\"%(key)s\" 应为%(kind)s", key=key, kind=names[kind]))


def check_format(case) -> None:
    if not isinstance(case, dict):
        _bad(gettext("用例应为对象"))
    _unknown(case, CASE_KEYS)
    _typed(case.get("name"), "text", "name")
    for key, kind in (("start", "object"), ("stubs", "object"), ("steps", "list"), ("expect", "object")):
        if key in case:
            _typed(case[key], kind, key)
    for number, step in enumerate(case.get("steps") or [], 1):
        _check_step(step, number)
    check_expect_format(case.get("expect") or {})


def _check_step(step, number):
    actions = [a for a in ACTIONS if isinstance(step, dict) and a in step]
    if len(actions) != 1:
        _bad(gettext("第 %(step)d 步应有且只有一个动作（%(actions)s）", step=number, actions=listing(ACTIONS)))
    action = actions[0]
    _unknown(step, {action, "about", *STEP_EXTRAS.get(action, ())})
    if action == "expect":
        _typed(step["expect"], "object", "expect")
        check_expect_format(step["expect"])
    elif action == "fire_timers":
        if step["fire_timers"] is not True:
            _bad(gettext("\"%(key)s\" 应为%(kind)s", key="fire_timers", kind="true"))
    else:
        _typed(step[action], "text", action)
    for extra in ("data", "correlations"):  # a payload may be any JSON value
        if extra in step:
            _typed(step[extra], "object", extra)


def check_expect_format(expect: dict) -> None:
    _unknown(expect, EXPECT_KEYS)
    for key in TEXT_LISTS:
        if key in expect:
            _typed(expect[key], "texts", key)
    if "end" in expect:
        _typed(expect["end"], "text", "end")
    if "completed" in expect:
        _typed(expect["completed"], "bool", "completed")
    if "data" in expect:
        _typed(expect["data"], "object", "data")
    if "calls" in expect:
        _typed(expect["calls"], "list", "calls")
        for call in expect["calls"]:
            _typed(call, "object", "calls")
            _unknown(call, CALL_KEYS)


# ---- expectations -----------------------------------------------------------------------

def check_expectations(run, expect: dict) -> None:
    """Raises CaseFailure for the first expectation that does not hold at this point."""
    where = run.path[-1] if run.path else None
    _check_path(run, expect)
    _check_state(run.workflow, run.path, expect, where)
    if "data" in expect:
        _check_data(expect["data"], _data_now(run), "", where)
    if "calls" in expect:
        _check_calls(expect["calls"], run.engine.calls)
    if "thrown" in expect:
        _check_in_order(expect["thrown"], run.thrown)


def _check_path(run, expect: dict) -> None:
    path = run.path
    if "path" in expect and expect["path"] != path:
        at = next((i for i, (a, b) in enumerate(zip(expect["path"], path)) if a != b),
                  min(len(expect["path"]), len(path)))
        element = path[at - 1] if at else (path or expect["path"])[0]  # the last element in common
        raise CaseFailure(gettext("期望路径 %(expected)s，实际 %(actual)s", expected=trail(expect["path"]),
                                  actual=trail(path)), element)
    if "path_includes" in expect:
        _check_in_order(expect["path_includes"], path, run.parsed)
    for element in expect.get("path_excludes", []):
        if element in path:
            raise CaseFailure(gettext("不应经过 %(element)s，实际 %(actual)s", element=element, actual=trail(path)),
                              element)


def _check_state(workflow, path, expect: dict, where) -> None:
    ended = workflow.is_completed()
    if "end" in expect and not (ended and expect["end"] in path):
        raise CaseFailure(gettext("期望到达 %(expected)s，实际 %(actual)s", expected=expect["end"],
                                  actual=trail(path)), where)
    if expect.get("completed") is True and not ended:
        raise CaseFailure(gettext("流程未结束（就绪的用户任务：%(ready)s；等待中的事件：%(waiting)s）",
                                  ready=listing(ready_ids(workflow)), waiting=listing(waiting_ids(workflow))), where)
    if expect.get("completed") is False and ended:
        raise CaseFailure(gettext("流程已结束于 %(element)s，期望尚未结束", element=where or "-"), where)
    for key, actual in (("ready", ready_ids(workflow)), ("waiting", waiting_ids(workflow))):
        if key in expect and sorted(expect[key]) != sorted(actual):
            values = {"expected": listing(expect[key]), "actual": listing(actual)}
            message = (gettext("期望就绪的用户任务为 %(expected)s，实际 %(actual)s", **values) if key == "ready"
                       else gettext("期望等待中的事件为 %(expected)s，实际 %(actual)s", **values))
            missing = [e for e in expect[key] if e not in actual]
            raise CaseFailure(message, missing[0] if missing else (actual[0] if actual else where))


def _check_in_order(expected: list[str], actual: list[str], parsed=None) -> None:
    """Each expected item appears in `actual`, after the previous one (elements of the
    path when `parsed` is given, else names of thrown messages)."""
    position = 0
    for item in expected:
        try:
            position = actual.index(item, position) + 1
        except ValueError:
            if parsed is None:
                raise CaseFailure(gettext("期望抛出消息 %(expected)s，实际 %(actual)s", expected=item,
                                          actual=listing(actual))) from None
            raise CaseFailure(gettext("期望到达 %(expected)s，实际 %(actual)s", expected=item, actual=trail(actual)),
                              turned_away(parsed, actual[max(position - 1, 0):], item)) from None


def turned_away(parsed, passed: list[str], target: str) -> str | None:
    """Where the run left the way to `target`: of the elements it passed, the one nearest
    to `target` in the diagram (a task's boundary events count as its neighbours)."""
    specs = {s.name: s for p in [parsed.spec, *parsed.subprocess_specs.values()] for s in p.task_specs.values()}

    def distance(start):
        seen, frontier, steps = {start}, [start], 0
        while frontier:
            steps += 1
            following = []
            for name in frontier:
                spec = specs.get(name)
                split = specs.get(f"{name}.BoundaryEventSplit")
                for out in [*(spec.outputs if spec else []), *(split.outputs if split else [])]:
                    if out.name == target:
                        return steps
                    if out.name not in seen:
                        seen.add(out.name)
                        following.append(out.name)
            frontier = following
        return None

    reach = [(d, -i, name) for i, name in enumerate(passed) if (d := distance(name)) is not None]
    if reach:
        return min(reach)[2]  # the nearest; of equals, the latest
    return target if target in specs else (passed[0] if passed else None)  # unreachable: after the last match


def _data_now(run) -> dict:
    """At the end, the process's data; before it, the data of the last element passed."""
    if run.workflow.is_completed() and run.workflow.data:
        return run.workflow.data
    return run.last_task.data if run.last_task is not None else run.workflow.task_tree.data


_MISSING = object()


def _check_data(expected: dict, actual, prefix: str, where) -> None:
    for key, value in expected.items():
        name = f"{prefix}{key}"
        found = actual.get(key, _MISSING) if isinstance(actual, dict) else _MISSING
        if isinstance(value, dict) and isinstance(found, dict):
            _check_data(value, found, name + ".", where)
        elif found is _MISSING or found != value:
            raise CaseFailure(gettext("数据 %(key)s 期望 %(expected)s，实际 %(actual)s", key=name,
                                      expected=shown(value),
                                      actual=gettext("无") if found is _MISSING else shown(found)), where)


def _call_matches(spec: dict, call: dict) -> bool:
    if "task" in spec and spec["task"] != call["task"]:
        return False
    if "handler" in spec and spec["handler"] != call["handler"]:
        return False
    params = spec.get("params") or {}
    return all(k in call["params"] and call["params"][k] == v for k, v in params.items())


def _check_calls(expected: list[dict], calls: list[dict]) -> None:
    position = 0
    for spec in expected:
        index = next((i for i in range(position, len(calls)) if _call_matches(spec, calls[i])), None)
        if index is None:
            actual = [f"{c['task']}({c['handler']} {shown(c['params'])})" for c in calls]
            raise CaseFailure(gettext("期望调用 %(expected)s，实际调用 %(actual)s", expected=shown(spec),
                                      actual=listing(actual)), spec.get("task"))
        position = index + 1

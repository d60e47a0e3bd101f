"""A diagram's script cannot exhaust the worker running it: endless loops are stopped
after a number of steps, values that would grow beyond the size limit are refused
before they are built, and ordinary business scripts behave exactly as Python."""
import time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ProcessInstance
from app.workflow import definitions, runtime
from app.workflow.errors import WorkflowFailure
from app.workflow.sandbox import SandboxEnvironment, SandboxViolation
from app.workflow.script_limits import MAX_ITEMS, MAX_SECONDS, ScriptLimitExceeded
from tests.workflow.test_definitions import analyst, post_xml, scripted  # noqa: F401 (fixture)

BOMBS = {
    "repetition": "x = [0] * 10**10",
    "string repetition": "x = 'ab' * 10**9",
    "repetition in place": "x = 'ab'\nx *= 10**9",
    "nested repetition": "row = [0] * 10**4\nx = [row] * 10**4",
    "doubling by +=": "a = [0] * 1000\nfor i in range(40):\n    a += a",
    "doubling by extend": "a = [0] * 1000\nfor i in range(40):\n    a.extend(a)",
    "doubling by +": "s = 'a' * 1000\nfor i in range(40):\n    s = s + s",
    "power": "x = 10 ** 10**9",
    "shift": "x = 1 << 10**10",
    "%-format width": "x = '%1000000000d' % 1",
    "replace": "s = 'a' * 10**6\nx = s.replace('a', s)",
    "join": "parts = ['a' * 1000] * 1000\nx = '-'.join(parts + parts)",
    "str of shared rows": "row = [0] * 10**5\nrows = []\nfor i in range(50):\n    rows.append(row)\nx = str(rows)",
    "f-string of shared rows": "row = [0] * 10**5\nrows = []\nfor i in range(50):\n    rows.append(row)\nx = f'{rows}'",
    "task data of shared rows": "row = [0] * 10**5\nrows = []\nfor i in range(50):\n    rows.append(row)",
    "range": "x = list(range(10**12))",
    "sum of lists": "x = sum([[0] * 1000] * 1000, [])",
    "endless loop": "while True:\n    pass",
    "endless comprehension": "x = [i for i in range(10**6) for j in range(10**6)]",
    "endless loop in a function": "def f(n):\n    while True:\n        n = n + 1\nf(0)",
    "a product squared past the bits": "x = 2 ** 50000\nfor i in range(16):\n    x = x * x",
    "300 distinct 1 MB strings": "keep = []\nfor i in range(300):\n    keep.append(str(i) * 1000000)",
    "copies by slicing": "big = [0] * 1000000\nkeep = [big[:] for i in range(300)]",
    "copies by a renamed constructor": "big = [0] * 1000000\nL = list\nkeep = [L(big) for i in range(300)]",
    "copies by string methods": "s = 'a' * 1000000\nkeep = [s.upper() for i in range(300)]",
    "a loop that catches its own stop": "while True:\n    try:\n        n = 1\n    except Exception:\n        pass",
}
SLOW_BOMB = "big = [0] * 1000000\nfor i in range(1000000):\n    big.count(1)"  # each line does a full scan


@pytest.mark.parametrize("script", BOMBS.values(), ids=BOMBS.keys())
def test_resource_bombs_are_stopped_and_change_nothing(script):
    context = {"keep": 1}
    with pytest.raises(ScriptLimitExceeded):
        SandboxEnvironment().execute(script, context)
    assert context == {"keep": 1}


def test_a_bomb_stops_within_the_time_limit():
    started = time.perf_counter()
    with pytest.raises(ScriptLimitExceeded, match="seconds"):
        SandboxEnvironment().execute(SLOW_BOMB, {})
    assert time.perf_counter() - started < MAX_SECONDS + 2


def test_conditions_are_limited_too():
    env = SandboxEnvironment()
    with pytest.raises(ScriptLimitExceeded):
        env.evaluate("len('x' * 10**10) > 0", {})
    with pytest.raises(ScriptLimitExceeded):
        env.evaluate("any(i < 0 for i in range(10**6) for j in range(10**6))", {})
    assert env.evaluate("decision == 'agree' and amount * 2 > 10", {"decision": "agree", "amount": 6}) is True


def test_ordinary_scripts_behave_as_python():
    env, shared = SandboxEnvironment(), []
    context = {"days": [1, 2, 3], "shared": shared, "counts": {"a": 1}}
    env.execute("total = sum(d * 2 for d in days)\n"
                "shared += [4]\n"           # in place: the same list, as in Python
                "shared.extend((5, 6))\n"
                "counts['a'] += 2\n"
                "label = '%s人, %05.1f天' % (len(days), 2.5)\n"
                "width = f'{total:>6}|{total:<4}|'\n"
                "name = '-'.join(str(d) for d in days).replace('-', '/')\n"
                "big = [0] * " + str(MAX_ITEMS) + "\n"
                "power = 2 ** 64 << 3", context)
    assert context["total"] == 12 and context["counts"] == {"a": 3}
    assert shared == [4, 5, 6] and context["shared"] is shared
    assert context["label"] == "3人, 002.5天" and context["width"] == "    12|12  |" and context["name"] == "1/2/3"
    assert len(context["big"]) == MAX_ITEMS and context["power"] == 2 ** 67


def test_business_values_and_their_methods_are_there():
    context = {"amounts": {"base": 3}, "start": "2026-12-03"}
    SandboxEnvironment().execute(
        "amounts['base'] += 2\n"                       # an item changed in place, as in Python
        "due = (date.fromisoformat(start) + timedelta(days=15)).isoformat()\n"
        "fen = int(Decimal('80.005').quantize(Decimal('0.01'), ROUND_HALF_UP) * 100)\n"
        "words = ' A b '.strip().lower().split()\n"
        "ok = isinstance(words, list) and {1, 2}.issubset({1, 2, 3})", context)
    assert context["amounts"] == {"base": 5} and context["due"] == "2026-12-18" and context["fen"] == 8001
    assert context["words"] == ["a", "b"] and context["ok"] is True

@pytest.mark.parametrize("script", ["x = 'a'.ljust(10**9)", "x = 'a'.center(10)", "x = '1'.zfill(9)",
                                    "w = 9\nx = f'{1:>{w}}'", "x = f'{1:>100000}'"])
def test_padding_and_wide_formats_are_refused_at_deploy_naming_the_element(client, analyst, script):  # noqa: F811
    with pytest.raises(SandboxViolation):
        SandboxEnvironment().execute(script, {})
    response = post_xml(client, analyst, scripted(script=script))
    assert response.status_code == 422 and "calc" in response.get_json()["errors"]


def test_an_instance_whose_script_runs_away_fails_cleanly(app):
    definitions.deploy(scripted(script="n = 0\nwhile n >= 0:\n    n = n + 1"), "test")
    db.session.commit()
    with pytest.raises(WorkflowFailure) as failed:
        runtime.start("scripted", {})
    assert "1,000,000 steps" in failed.value.reason
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ProcessInstance)) == 0
    definitions.deploy(scripted(script="total = 1 + 1"), "test")  # the worker goes on as before
    db.session.commit()
    assert runtime.start("scripted", {}).status == "completed"

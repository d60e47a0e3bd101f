"""Every BPMN test case of every process in processes/ (<key>.cases.json beside <key>.bpmn),
one test per case: a diagram change that breaks a main path shows in the suite, the
same report deploy() and the modeler give."""
import re

import pytest

from app.handlers import install
from app.workflow.definitions import PROCESSES_DIR
from app.workflow.testcases import cases_for, run_cases

install()  # lanes, forms and handlers the diagrams name (create_app does this in the app)

PROCESSES = sorted(p.stem for p in PROCESSES_DIR.glob("*.bpmn"))
CASES = [(key, case) for key in PROCESSES for case in cases_for(key)]


def diagram(key: str) -> str:
    return (PROCESSES_DIR / f"{key}.bpmn").read_text(encoding="utf-8")


@pytest.mark.parametrize(("key", "case"), CASES,
                         ids=[f"{key}-{n}" for key in PROCESSES for n in range(1, len(cases_for(key)) + 1)])
def test_case(key, case):
    [result] = run_cases(diagram(key), key, [case])
    assert result.passed, f"{result.message} [{result.element_id}] path: {' → '.join(result.path)}"


@pytest.mark.parametrize("key", PROCESSES)
def test_every_process_has_named_cases_that_reach_an_end(key):
    cases = cases_for(key)
    names = [c["name"] for c in cases]
    assert cases and len(set(names)) == len(names)
    results = run_cases(diagram(key), key)
    assert all(r.passed for r in results)
    assert any(c.get("expect", {}).get("end") for c in cases)


DURATION = re.compile(r"(<bpmn:timeDuration>)\"[^\"]+\"(</bpmn:timeDuration>)")


@pytest.mark.parametrize("key", [k for k in PROCESSES if DURATION.search(diagram(k))])
def test_cases_do_not_depend_on_timer_durations(key):
    # an analyst changes 24 h to 48 h (or 7 days to 30): the cases still hold
    for duration in ('"PT48H"', '"P30D"', '"PT5M"'):
        changed = DURATION.sub(rf"\g<1>{duration}\g<2>", diagram(key))
        assert changed != diagram(key)
        failed = [r.message for r in run_cases(changed, key) if not r.passed]
        assert not failed, (duration, failed)

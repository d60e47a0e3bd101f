"""Diagrams from other modelers (fixtures/foreign: Camunda 7 and 8, bpmn.io defaults, Signavio
and Bizagi pools, Flowable and Activiti, no diagram interchange, Latin-1, UTF-16, GB18030, and
files that are not BPMN at all), deployed as an analyst through the API: never a 500, never a
hang, and a refusal is a list of problems that each name the element and the line where the
analyst finds it, in words the analyst can act on — no Python reprs, no engine internals."""
import json
import re
import threading
from pathlib import Path

import pytest
from lxml import etree

from app.services import roles
from tests.support.factories import auth, token

FOREIGN = Path(__file__).parent / "fixtures" / "foreign"
EXPECTED = json.loads((FOREIGN / "expected.json").read_text("utf-8"))
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# a deploy checks the diagram and runs its cases in a child process (isolation.py); a request
# still waiting after this long is a hang, whatever the server is doing
BOUND_SECONDS = 25
# what an analyst must never read: Python reprs, exception names, lxml's {namespace}tag
LEAK = re.compile(r"<Element|<[\w.]+ object|\bat 0x[0-9a-fA-F]+|Traceback|TypeError|NoneType"
                  r"|\b[A-Z]\w*(Error|Exception)\b|\{http://|\[['\"]|\{['\"]|(?<!\w)b['\"]|\\x[0-9a-f]{2}")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# BPMN elements with an id that bpmn-js draws nothing for: the modeler marks a problem by its
# element id, so a problem about one of these is marked nowhere
NOT_DRAWN = {"definitions", "documentation", "extensionElements", "ioSpecification", "dataInput", "dataOutput",
             "inputSet", "outputSet", "laneSet", "message", "error", "escalation", "signal", "itemDefinition",
             "conditionExpression", "script", "timeDuration", "timeDate", "timeCycle", "property",
             "multiInstanceLoopCharacteristics", "standardLoopCharacteristics", "loopCardinality",
             "completionCondition"}


@pytest.fixture
def analyst(client, world):
    return token(client, world.user(platform_role=roles.ANALYST))


def deploy(client, tok, body: bytes, language: str = "zh-CN"):
    """The response, or None if the request did not finish within BOUND_SECONDS. The request
    runs on a daemon thread, so that a hang fails the test instead of the whole run."""
    answer = {}

    def post():
        try:
            with client.application.app_context():  # the test client's own bookkeeping needs one per thread
                answer["response"] = client.post("/api/v1/process-definitions", data=body,
                                                 content_type="application/xml",
                                                 headers={**auth(tok), "Accept-Language": language})
        except BaseException as error:  # an exception the app let through (TESTING propagates them)
            answer["error"] = error

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    thread.join(BOUND_SECONDS)
    if "error" in answer:
        raise answer["error"]
    return answer.get("response")


def spans(body: bytes) -> dict[str, tuple[int, int, str]]:
    """id → (first line, last line, drawn on the canvas) of every element with an id, its content included:
    read by lxml from the raw bytes in their declared encoding, independently of the app."""
    try:
        tree = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return {}
    found = {}
    for element in tree.iter(etree.Element):
        if element.get("id") is not None:
            found.setdefault(element.get("id"), (element.sourceline, last_line(element), drawn(element)))
    return found


def drawn(element) -> bool:
    name = etree.QName(element)
    return (name.namespace == BPMN and name.localname not in NOT_DRAWN
            and not name.localname.endswith("EventDefinition"))


def last_line(element) -> int:
    """The line of the element's end tag: a script's text may run over several lines."""
    children = list(element)
    if not children:
        return element.sourceline + (element.text or "").count("\n")
    return last_line(children[-1]) + (children[-1].tail or "").count("\n")


def texts(body: dict) -> list[str]:
    """Every text of a problem answer the analyst reads."""
    return ([body.get("detail") or ""] + [p.get("message") or "" for p in body.get("problems") or []]
            + [str(v) for v in (body.get("errors") or {}).values()] + [str(w) for w in body.get("warnings") or []])


def assert_well_formed(problems: list, data: bytes, file: str):
    elements = spans(data)
    for problem in problems:
        assert {"element_id", "line", "message"} <= set(problem), (file, problem)
        assert isinstance(problem["message"], str) and problem["message"].strip(), (file, problem)
        element_id = problem["element_id"]
        if not element_id:
            continue
        line = problem["line"]
        assert isinstance(line, int) and not isinstance(line, bool), f"{file}: no line for {problem}"
        assert element_id in elements, f"{file}: {element_id!r} is no element of the file: {problem}"
        first, last, on_canvas = elements[element_id]
        # an extension's id (a service task's parameter), an event definition's or an
        # expression's: the modeler could mark it nowhere — name the shape that holds it
        assert on_canvas, f"{file}: {element_id!r} is not drawn on the canvas: {problem}"
        assert first <= line <= last, f"{file}: line {line} is outside {element_id} (lines {first}-{last})"


def assert_names(expected_ids: list, problems: list, file: str):
    named = {p["element_id"] for p in problems if p["element_id"]}
    for wanted in expected_ids:
        choices = wanted if isinstance(wanted, list) else [wanted]
        assert named & set(choices), f"{file}: no problem names {' or '.join(choices)}; named: {sorted(named)}"


@pytest.mark.parametrize("case", EXPECTED, ids=[e["file"] for e in EXPECTED])
def test_a_foreign_diagram_gets_a_precise_answer(client, analyst, case):
    data = (FOREIGN / case["file"]).read_bytes()
    response = deploy(client, analyst, data)
    assert response is not None, f"{case['file']}: no answer within {BOUND_SECONDS} s"
    assert response.status_code != 500, response.get_data(as_text=True)[:500]
    body = response.get_json()
    said = texts(body)
    leaks = [t for t in said if LEAK.search(t)]
    assert not leaks, f"{case['file']}: {leaks}"
    if case["deploys"]:
        assert response.status_code in (200, 201), body
        assert body["key"] == case["key"]
        for element_id in case.get("warns", []):
            assert any(element_id in w for w in body.get("warnings", [])), body
        return
    assert response.status_code == 422 and response.mimetype == "application/problem+json", body
    problems = body.get("problems")
    assert isinstance(problems, list) and problems, body
    assert_well_formed(problems, data, case["file"])
    assert_names(case["element_ids"], problems, case["file"])
    messages = [p["message"] for p in problems]
    for text in case.get("mentions", []):
        assert any(text in m for m in messages), f"{case['file']}: no message mentions {text!r}: {messages}"
    for text in case.get("avoid", []):
        assert not any(text in m for m in messages), f"{case['file']}: {text!r} in {messages}"


ENGLISH = [e for e in EXPECTED if e.get("english")]


@pytest.mark.parametrize("case", ENGLISH, ids=[e["file"] for e in ENGLISH])
def test_problems_are_in_english_when_asked(client, analyst, case):
    data = (FOREIGN / case["file"]).read_bytes()
    response = deploy(client, analyst, data, language="en")
    assert response is not None, f"{case['file']}: no answer within {BOUND_SECONDS} s"
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    body = response.get_json()
    problems = body.get("problems") or []
    assert problems, body
    chinese = [t for t in texts(body) if CJK.search(t)]
    assert not chinese, f"{case['file']}: {chinese}"
    assert not [t for t in texts(body) if LEAK.search(t)]
    assert_well_formed(problems, data, case["file"])
    assert_names(case["element_ids"], problems, case["file"])
    messages = [p["message"] for p in problems]
    for text in (t for t in case.get("mentions", []) if t.isascii()):
        assert any(text in m for m in messages), f"{case['file']}: no message mentions {text!r}: {messages}"

"""A BPMN body is read in the encoding its XML declaration names (API.md: "in the encoding
its XML declaration names"), through the API's deploy and the modeler alike: ISO-8859-1,
UTF-16 with its byte order mark and GB18030 deploy, store text that reads back right and
run; the same diagram in two encodings is one version; a body whose bytes contradict
its declaration is a 422 that says so, and nothing is stored."""
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from app.extensions import db
from app.models import ProcessDefinition
from app.services import roles
from app.workflow import definitions, runtime
from tests.reliability.test_hostile_text import LEAK
from tests.support.factories import auth, csrf_from, log_in, token
from tests.workflow.conftest import fixture_xml

PROBLEM = "application/problem+json"
ACCENTED = "Approbation générale de Zoë"
CHINESE = "简单审批·工资"


def diagram(encoding: str, name: str) -> str:
    return (fixture_xml("simple_approval").replace('encoding="UTF-8"', f'encoding="{encoding}"')
            .replace('name="简单审批"', f'name="{name}"'))


def encoded(encoding: str, name: str) -> bytes:
    # characters the encoding lacks become character references, as an XML writer does
    return diagram(encoding, name).encode(encoding, "xmlcharrefreplace")


@pytest.fixture
def analyst(client, world):
    return token(client, world.user(platform_role=roles.ANALYST))


def deploy(client, tok, body: bytes):
    return client.post("/api/v1/process-definitions", data=body, content_type="application/xml", headers=auth(tok))


def stored() -> list[ProcessDefinition]:
    db.session.expire_all()
    return db.session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == "simple_approval")
                              .order_by(ProcessDefinition.version)).all()


@pytest.mark.parametrize("encoding, name", [("ISO-8859-1", ACCENTED), ("UTF-16", CHINESE + " " + ACCENTED),
                                            ("GB18030", CHINESE), ("windows-1252", ACCENTED)])
def test_a_diagram_deploys_in_the_encoding_its_declaration_names(client, analyst, world, encoding, name):
    body = encoded(encoding, name)
    assert body.startswith(b"\xff\xfe") == (encoding == "UTF-16")  # Python writes the BOM; so do editors
    response = deploy(client, analyst, body)
    assert response.status_code == 201, response.get_json()
    [definition] = stored()
    assert definition.name == name
    assert name in definition.bpmn_xml
    assert definition.bpmn_xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    # read back: the stored text parses as what it says it is, and an instance runs on it
    assert etree.fromstring(definition.bpmn_xml.encode("utf-8")).find(".//{*}process").get("name") == name
    assert definitions.parse(definition.bpmn_xml.encode("utf-8")).name == name
    listing = client.get("/api/v1/process-definitions", headers=auth(analyst)).get_json()["items"]
    assert [i["name"] for i in listing if i["key"] == "simple_approval"] == [name]
    enterprise, person = world.enterprise(), world.user()
    instance = runtime.start("simple_approval", {"enterprise_id": enterprise.id, "person_id": person.person.id})
    db.session.commit()
    assert instance.status in ("running", "waiting") and instance.definition_id == definition.id


def test_one_diagram_in_two_encodings_is_one_version(client, analyst):
    name = CHINESE + " Zoë"
    assert deploy(client, analyst, encoded("UTF-16", name)).status_code == 201
    again = deploy(client, analyst, encoded("GB18030", name))
    assert again.status_code == 200 and again.get_json()["version"] == 1
    assert len(stored()) == 1


def _lone_surrogate() -> bytes:
    text = diagram("UTF-16", "\u2603").encode("utf-16-le")
    at = text.index("\u2603".encode("utf-16-le"))
    return b"\xff\xfe" + text[:at] + b"\x00\xd8" + text[at + 2:]  # U+D800 with nothing after it


@pytest.mark.parametrize("label, body, detail", [
    ("declared UTF-8, written in ISO-8859-1", diagram("UTF-8", ACCENTED).encode("latin-1", "xmlcharrefreplace"),
     "流程图的内容与其声明的编码 UTF-8 不符。"),
    ("no declaration, written in GBK", diagram("UTF-8", CHINESE).split("?>", 1)[1].encode("gbk"),
     "流程图不是 UTF-8 编码，XML 声明中也没有写明其编码。"),
    ("declared ISO-8859-1 behind a UTF-16 byte order mark", encoded("ISO-8859-1", ACCENTED).decode("latin-1")
     .encode("utf-16"), "流程图的内容与其声明的编码 ISO-8859-1 不符。"),
    ("declared UTF-16, written in ASCII", diagram("UTF-16", "Plain").encode("ascii", "xmlcharrefreplace"),
     "流程图的内容与其声明的编码 UTF-16 不符。"),
    ("declared GB2312, with bytes GB2312 lacks", diagram("GB2312", "审批").encode("gb2312")
     .replace("审批".encode("gb2312"), b"\xff\xff"), "流程图的内容与其声明的编码 GB2312 不符。"),
    ("an encoding no XML processor knows", diagram("unicode_escape", "x").encode("ascii", "xmlcharrefreplace"),
     "流程图声明的编码 unicode_escape 无法识别。"),
    ("a made-up encoding", diagram("x-klingon", "x").encode("ascii", "xmlcharrefreplace"), "流程图声明的编码 x-klingon 无法识别。"),
    ("a byte order mark in front of something else", b"\xff\xfe<x/>", "流程图的内容与其声明的编码 UTF-16 不符。"),
    ("a lone surrogate in UTF-16", _lone_surrogate(), "流程图的内容与其声明的编码 UTF-16 不符。"),
])
def test_bytes_that_contradict_their_declaration_are_422(client, analyst, label, body, detail):
    response = deploy(client, analyst, body)
    assert response.status_code == 422 and response.mimetype == PROBLEM, (label, response.get_data(as_text=True))
    problem = response.get_json()
    assert problem["detail"] == detail and not LEAK.search(problem["detail"]), (label, problem)
    assert stored() == []


def test_nul_in_a_diagram_is_422(client, analyst):
    body = diagram("UTF-16", "a\x00b").encode("utf-16")  # decodes, but XML has no NUL
    response = deploy(client, analyst, body)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert stored() == []


# --- the modeler ------------------------------------------------------------------------------------

RESIGNATION = (Path(__file__).resolve().parents[2] / "processes" / "resignation.bpmn").read_text("utf-8")


def test_the_modeler_reads_the_declared_encoding_too(client, world):
    log_in(client, world.user(platform_role=roles.ANALYST))
    csrf = csrf_from(client.get("/modeler/resignation/edit").get_data(as_text=True))

    def post(action, body):
        return client.post(f"/modeler/resignation/{action}", data=body, content_type="application/xml",
                           headers={"X-CSRFToken": csrf})

    changed = RESIGNATION.replace('"PT24H"', '"PT48H"')
    utf16 = changed.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    checked = post("validate", utf16).get_json()
    assert checked["ok"] is True and checked["problems"] == []
    assert [w["element_id"] for w in checked["warnings"]] == ["waiting_period"]  # 24 → 48 hours
    reply = post("deploy?confirm=rule-change", utf16)  # 24 → 48 hours: a rule change, confirmed
    assert reply.status_code == 200 and reply.get_json()["version"] == 2, reply.get_json()
    latest = definitions.latest("resignation")
    assert latest.bpmn_xml == changed  # the very text, its declaration already UTF-8
    gb = changed.replace('"PT48H"', '"PT72H"').replace('encoding="UTF-8"', 'encoding="GB18030"').encode("gb18030")
    assert post("deploy?confirm=rule-change", gb).get_json()["version"] == 3
    wrong = post("deploy?confirm=rule-change", changed.replace('"PT48H"', '"PT96H"').replace('encoding="UTF-8"', 'encoding="UTF-16"')
                 .encode("utf-8"))
    assert wrong.status_code == 422
    assert wrong.get_json()["problems"][0]["message"] == "流程图的内容与其声明的编码 UTF-16 不符。"
    db.session.expire_all()
    assert definitions.latest("resignation").version == 3

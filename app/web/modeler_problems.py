"""The definition checker's problems in the analyst's language.

app/workflow/definitions.py writes its messages in English for logs and the API; the
modeler shows the known ones in Chinese (or the page's language) and any other as is.
"""
import re

from flask_babel import gettext
from lxml import etree

from app.services import rule_periods
from app.services.i18n import N_
from app.workflow import timer_periods
from app.workflow.definitions import Problem

_KNOWN = [
    (re.compile(r"service handler '(?P<name>.*)' is not registered"), N_("服务任务的处理程序“%(name)s”未注册")),
    (re.compile(r"form key '(?P<name>.*)' is not registered"), N_("表单“%(name)s”未注册")),
    (re.compile(r"lane role '(?P<name>.*)' is not registered"), N_("泳道角色“%(name)s”未注册")),
    (re.compile(r"a user task needs a formKey property"), N_("用户任务须选择表单")),
    (re.compile(r"a user task must be in a lane.*"), N_("用户任务须放在泳道中（泳道名称即办理角色）")),
    (re.compile(r"refused by the sandbox: (?P<reason>.*)"), N_("脚本或条件不安全，已拒绝：%(reason)s")),
    (re.compile(r"Python syntax error: (?P<reason>.*)"), N_("脚本或条件有语法错误：%(reason)s")),
    (re.compile(r"timer expression (?P<value>.*) is not valid ISO 8601"),
     N_("定时器时长 %(value)s 不是有效的 ISO 8601 时长（例如 PT48H）")),
    (re.compile(r"timer expression (?P<value>\S+) must be quoted.*"), N_("定时器时长 %(value)s 须写成带引号的表达式")),
    (re.compile(r"a timer expression must be a quoted string.*"), N_("定时器时长须是带引号的字符串，例如 \"PT24H\"")),
    (re.compile(r"XML syntax error: (?P<reason>.*)"), N_("XML 格式错误：%(reason)s")),
    (re.compile(r"a file must hold exactly one executable process"), N_("一个流程图须恰好包含一个可执行流程")),
]


def message_of(problem: Problem) -> str:
    for pattern, template in _KNOWN:
        match = pattern.fullmatch(problem.message)
        if match:
            return gettext(template, **match.groupdict())
    return problem.message


def _shape_ids(xml: bytes) -> dict[str, str]:
    """Event definitions (a timer's own id) belong to the event drawn on the canvas."""
    try:
        tree = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return {}
    return {el.get("id"): el.getparent().get("id") for el in tree.iter()
            if isinstance(el.tag, str) and el.get("id") and etree.QName(el).localname.endswith("EventDefinition")
            and el.getparent() is not None and el.getparent().get("id")}


def problems_json(problems: list[Problem], xml: bytes = b"") -> list[dict]:
    """Each problem with the id of the element the editor marks, and its message."""
    shapes = _shape_ids(xml) if xml and any(p.element_id for p in problems) else {}
    return [{"element_id": shapes.get(p.element_id, p.element_id) or None, "line": p.line,
             "message": message_of(p), "detail": p.message} for p in problems]


def rule_warnings_json(changes: list[rule_periods.RuleChange]) -> list[dict]:
    """A deploy's changes to the waiting periods DOMAIN.md names as rules: the timer
    (marked on the canvas), its old and new expression, and a sentence saying both."""
    return [{"element_id": c.rule.timer_id, "old": c.old, "new": c.new,
             "message": gettext(rule_periods.RULE_CHANGED, rule=gettext(c.rule.label), timer=c.rule.timer_id,
                                old=timer_periods.describe_expression(c.old),
                                new=timer_periods.describe_expression(c.new))} for c in changes]

"""SpiffWorkflow's refusals of a diagram, said as the analyst needs them: the element
(found by its id, since the engine's own line number is never set: it reads
`node.line_number`, lxml calls it `sourceline`), its line, and a sentence in the
analyst's language. The engine's text goes to the log, never to the analyst: it may
hold Python representations."""
import logging
import re

from flask_babel import gettext

from app.common.i18n import N_
from app.workflow.elements import BPMN, describe
from app.workflow.problems import Problem, at

log = logging.getLogger(__name__)

SCHEMA = N_("不符合 BPMN 2.0 规范：%(detail)s")
UNSUPPORTED = N_("流程引擎不支持%(element)s 的这种写法")
UNREADABLE = N_("流程引擎无法读取这个流程图（已记录）：请检查文件是否由 BPMN 2.0 建模工具导出")

# the engine's words (a prefix of its message) → ours; %(element)s is the element it names
_KNOWN = [
    ("Multiple outgoing flows are not supported", N_("%(element)s 有多条流出连线：本系统的引擎只在网关处分支。请在它后面加一个网关")),
    ("No start event found", N_("%(element)s 没有开始事件：请添加一个开始事件并连到第一个任务")),
    ("Exactly one start event is required", N_("%(element)s 须恰好有一个开始事件")),
    ("A SubWorkflow Must contain an End event", N_("%(element)s 须包含结束事件")),
    ("There is no support implemented for this task type", N_("本系统的引擎不支持%(element)s 这种元素")),
    ("Duplicate process ID", N_("流程标识 %(id)s 在文件中出现了两次")),
    ("Unknown Time Specification", N_("%(element)s 的定时器须写时长、时间点或周期之一")),
    ("Time Specification Error", N_("%(element)s 的定时器表达式无效")),
    ("Cancel Events may only be used with transactions", N_("%(element)s：取消事件只能用在事务子流程中")),
    ("A loopMaximum or loopCondition must be specified", N_("%(element)s 是循环任务，须填写最大次数或循环条件")),
    ("Non-default exclusive outgoing sequence flow without condition",
     N_("%(element)s 既没有条件，也不是默认连线：请给它写条件，或把它设为默认连线")),
    ('No "calledElement" attribute', N_("%(element)s 没有填写要调用的流程（calledElement）")),
    ("A Service Task must have an operator", N_("%(element)s 须选择处理程序（spiffworkflow 的 serviceTaskOperator）")),
    ("Ad hoc subprocesses may not contain start or end events", N_("%(element)s 是自由子流程，不能包含开始或结束事件")),
    ("Sequential ordering for ad hoc subprocesses not supported", N_("本系统的引擎不支持顺序执行的自由子流程 %(element)s")),
    ("The loop input data reference is missing", N_("%(element)s 的多实例输入集合在输入输出定义中不存在")),
    ("The loop output data reference is missing", N_("%(element)s 的多实例输出集合在输入输出定义中不存在")),
]
_NAMESPACE = re.compile(r"\{" + re.escape(BPMN) + r"\}")
_ANY_NAMESPACE = re.compile(r"\{[^}]*\}")


def problem(error, tree, file_name: str) -> Problem:
    """One Problem for a ValidationException of the engine's parser."""
    text = str(error).split("\n")[0]
    element = _element(error, tree)
    if element is None and getattr(error, "line_number", None) and not getattr(error, "id", None):
        return _schema_problem(text, error.line_number, tree, file_name)
    for prefix, message in _KNOWN:
        if text.startswith(prefix):
            words = gettext(message, element=describe(element) if element is not None else "-",
                            id=getattr(error, "id", "") or "-")
            return at(file_name, element, words) if element is not None else Problem(file_name, "", None, words)
    log.warning("the engine refused a diagram in words not mapped yet: %s", text)
    if element is not None:
        return at(file_name, element, gettext(UNSUPPORTED, element=describe(element)))
    return Problem(file_name, "", None, gettext(UNREADABLE))


def crash(error: Exception, file_name: str) -> Problem:
    """Anything else the engine's parser raised: logged whole, told plainly."""
    log.warning("the engine's parser failed on %s", file_name, exc_info=error)
    return Problem(file_name, "", None, gettext(UNREADABLE))


def _element(error, tree):
    element_id = getattr(error, "id", None)
    if not element_id:
        return None
    found = tree.xpath("//*[@id=$id]", id=element_id)
    return found[0] if found else None


def _schema_problem(text, line, tree, file_name) -> Problem:
    """An XSD error names a line only: the element with an id at that line (or the
    nearest enclosing one) is the one to mark."""
    detail = _ANY_NAMESPACE.sub("", _NAMESPACE.sub("bpmn:", text))
    at_line = [el for el in tree.iter() if isinstance(el.tag, str) and el.sourceline == line]
    message = gettext(SCHEMA, detail=detail)
    if at_line:
        found = at(file_name, at_line[0], message)
        found.line = line
        return found
    return Problem(file_name, "", line if isinstance(line, int) else None, message)

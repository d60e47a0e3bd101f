"""The waiting periods DOMAIN.md states as rules, and the diagram timers that keep them:
the 24 hours after which a person may resign without the enterprise (§6) and the 7 days
a hire request waits for the person's answer (§2).

An analyst may change either in the modeler; pages then state the period the flow
really applies (app/workflow/timer_periods.py reads it), and a deploy that changes one
is published only when confirmed (`changes` names what it changes).
"""
from dataclasses import dataclass

from app.services.i18n import N_
from app.workflow import definitions, timer_periods

CONFIRM_RULE_CHANGE = "rule-change"  # ?confirm= on a deploy that changes a rule period
RULE_CHANGED = N_("修改了规则时限“%(rule)s”（定时器 %(timer)s）：由 %(old)s 改为 %(new)s")
NOT_CONFIRMED = N_("本次发布修改了规则时限，请确认后再发布")


@dataclass(frozen=True)
class RulePeriod:
    process_key: str
    timer_id: str  # the timer event's element id in the diagram
    label: str  # msgid


RESIGNATION_WAIT = RulePeriod("resignation", "waiting_period", N_("离职等待期"))
HIRE_CONSENT_WAIT = RulePeriod("hire_consent", "consent_expiry", N_("聘用确认期限"))
RULES = (RESIGNATION_WAIT, HIRE_CONSENT_WAIT)


@dataclass(frozen=True)
class RuleChange:
    """A deploy changes a rule period: the timer's expressions as deployed and as new
    ('"PT24H"'; None when the timer is not in that diagram)."""

    rule: RulePeriod
    old: str | None
    new: str | None


def changes(process_key: str, xml: str) -> list[RuleChange]:
    """The rule periods that deploying `xml` as `process_key` would change, compared
    with the latest deployed version (a first version changes nothing)."""
    latest = definitions.latest(process_key)
    if latest is None:
        return []
    found = []
    for rule in RULES:
        if rule.process_key != process_key:
            continue
        old = timer_periods.expression_in(latest.bpmn_xml, rule.timer_id)
        new = timer_periods.expression_in(xml, rule.timer_id)
        if old != new:
            found.append(RuleChange(rule, old, new))
    return found


def period(rule: RulePeriod, instance_id: int | None = None) -> str | None:
    """The ISO duration of the rule: a running instance's own (its version's), else the
    latest deployed version's (what a new request will wait)."""
    if instance_id is not None:
        return timer_periods.of_instance(instance_id, rule.timer_id)
    return timer_periods.of_latest(rule.process_key, rule.timer_id)

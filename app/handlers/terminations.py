"""What each process's subject becomes when an administrator terminates an instance
(runtime.terminate applies it in the terminate's transaction). A process key without an
entry here cannot be terminated. Thin: each calls one service, which audits the change
and leaves a record that has already moved on as it is."""
from app.services import allocation, employment, payroll, payroll_batch, separation
from app.services.i18n import N_
from app.workflow.registry import Termination


def _withdraw_hire(subject: dict, actor, reason: str) -> None:
    employment.withdraw(subject["employment_id"], actor, reason)


def _cancel_allocation(subject: dict, actor, reason: str) -> None:
    allocation.cancel(subject["allocation_id"], actor, reason)


def _withdraw_separation(subject: dict, actor, reason: str) -> None:
    separation.withdraw(subject["separation_id"], actor, reason)


def _reopen_draft(subject: dict, actor, reason: str) -> None:
    payroll.reopen_draft(subject["draft_id"], actor, reason)


def _withdraw_summary(subject: dict, actor, reason: str) -> None:
    payroll_batch.withdraw_summary(subject["batch_id"], actor, reason)


TERMINATIONS = {
    employment.HIRE_PROCESS: Termination(_withdraw_hire, N_("聘用申请撤回，该人员可被重新聘用")),
    allocation.PROCESS: Termination(_cancel_allocation, N_("分配取消，该人员可重新分配")),
    separation.RESIGNATION: Termination(_withdraw_separation, N_("离职申请撤回，聘用关系恢复在职")),
    separation.DISMISSAL: Termination(_withdraw_separation, N_("解聘撤回，聘用关系恢复在职")),
    payroll.PROCESS: Termination(_reopen_draft, N_("工资支付表退回编制中，可修改后重新提交")),
    payroll_batch.PROCESS: Termination(_withdraw_summary, N_("汇总表及其签名作废，批次重新开放，可重新生成汇总表")),
}

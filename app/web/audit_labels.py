"""The audit log in words (issue 19 item 8): `registration.reject` reads 个人信息登记审核不通过,
`person 15` reads 人员 张三（3101**********1234）. One table of action labels; an action
it does not know shows its key, so a new action is never hidden."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Registration, User
from app.services.idcard import mask_id_number
from app.web import subject_names

ACTION_LABELS = {
    "account.sign_up": _l("注册账号"), "account.password_change": _l("修改密码"), "account.locked": _l("账号锁定"),
    "account.unlock": _l("解除账号锁定"), "role.grant": _l("授予角色"),
    "personal_data.view_id_number": _l("查看身份证号"), "personal_data.view_id_image": _l("查看身份证照片"),
    "person.set_bank_card": _l("绑定工资银行卡"),
    "registration.submit": _l("提交个人信息登记"), "registration.verify": _l("个人信息登记审核通过"),
    "registration.reject": _l("个人信息登记审核不通过"), "registration.reschedule": _l("调整登记审核预计完成日期"),
    "enterprise.create": _l("新建企业"), "enterprise.add_hr_admin": _l("添加人事聘用管理员"),
    "project.create": _l("新建项目"), "project.add_participant": _l("添加参建单位"),
    "project.replace_manager": _l("更换项目经理"),
    "employment.request": _l("新建聘用关系"), "employment.consent": _l("本人同意聘用"),
    "employment.decline": _l("本人拒绝聘用"), "employment.expire": _l("聘用申请过期"),
    "employment.register": _l("聘用登记"), "employment.withdraw": _l("撤回聘用申请"),
    "allocation.create": _l("人员分配"), "allocation.designate_manager": _l("指定项目经理"),
    "allocation.level1": _l("本单位确认分配"), "allocation.gc": _l("项目人员接收"),
    "allocation.confirm": _l("确认分配"), "allocation.reject": _l("不接收分配"), "allocation.cancel": _l("取消分配"),
    "site.entry": _l("确认进场"), "site.exit": _l("确认退场"), "site.clock_in": _l("上班打卡"),
    "site.clock_out": _l("下班打卡"),
    "signin.appoint_officer": _l("授权班前签到员"), "signin.revoke_officer": _l("取消班前签到员授权"),
    "signin.location": _l("项目班前签到定位调整"), "signin.officer_scan": _l("班前签到员扫码签到"),
    "separation.resign": _l("申请离职"), "separation.dismiss": _l("发起解聘"), "separation.cancel": _l("撤销离职申请"),
    "separation.decline": _l("本人不同意解聘"), "separation.withdraw": _l("撤回解聘"),
    "separation.resignation_completed": _l("离职成功"), "separation.dismissal_completed": _l("解聘成功"),
    "calendar.enter_year": _l("录入年度节假日"),
    "payroll.settlement_day": _l("设置月工资结算日期"), "payroll.batch": _l("新增银行交换批次号"),
    "payroll.draft": _l("新增工资支付表"), "payroll.line": _l("修改工资支付表明细"),
    "payroll.left_out": _l("确认本期不纳入的单位"), "payroll.submit": _l("提交工资支付表审核"),
    "payroll.sub_approve": _l("分包单位审核通过"), "payroll.approve": _l("施工总包审核通过"),
    "payroll.return": _l("退回工资支付表"), "payroll.reopen": _l("重新编制工资支付表"),
    "payroll.summary": _l("生成汇总表"), "payroll.summary_withdrawn": _l("撤回汇总表"),
    "payroll.download": _l("下载汇总表"), "payroll.sign.pm_sign": _l("项目经理签署汇总表"),
    "payroll.sign.enterprise_sign": _l("施工总包单位签署汇总表"),
    "payroll.sign.pm_sign.withdrawn": _l("撤回项目经理签署"),
    "payroll.sign.enterprise_sign.withdrawn": _l("撤回施工总包单位签署"),
    "payroll.push_queued": _l("排队推送银行"), "payroll.push": _l("工资支付表推送银行"),
    "payroll.receipt": _l("收到银行回执"), "payroll.follow_up": _l("新建补发批次"),
    "outbox.failed": _l("推送失败"), "outbox.redeliver": _l("重新推送"),
    "process.deploy": _l("部署流程"), "process.suspend": _l("挂起流程"), "process.resume": _l("恢复流程"),
    "process.terminate": _l("终止流程"), "process.retry": _l("重试出错的步骤"), "process.migrate": _l("迁移流程版本"),
    "process.reassign": _l("改派待办"), "process.fire_timer": _l("立即触发定时器"),
    "retention.purge": _l("清除过期个人资料"),
}

RECORD_LABELS = {
    "person": _l("人员"), "registration": _l("个人信息登记"), "user": _l("账号"), "enterprise": _l("企业"),
    "project": _l("项目"), "employment": _l("聘用关系"), "allocation": _l("人员分配"), "separation": _l("离职/解聘"),
    "attendance": _l("考勤记录"), "signin": _l("班前签到"), "payroll_draft": _l("工资支付表"),
    "payroll_line": _l("工资支付表明细"), "bank_batch": _l("银行交换批次号"), "outbox_message": _l("推送消息"),
    "process_definition": _l("流程定义"), "process_instance": _l("流程实例"), "human_task": _l("待办"),
    "calendar_year": _l("节假日年度"), "retention": _l("个人资料保存期限"),
}

# record types whose id subject_names can turn into words
SUBJECT_KEYS = {"person": "person_id", "enterprise": "enterprise_id", "project": "project_id",
                "employment": "employment_id", "allocation": "allocation_id", "separation": "separation_id",
                "bank_batch": "batch_id", "payroll_draft": "draft_id"}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def _int(value) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) <= 12 else None


def record_words(entries) -> dict[int, str]:
    """entry id → its record in words, looked up in one query per record type."""
    subjects = [{SUBJECT_KEYS[e.record_type]: _int(e.record_id)} for e in entries if e.record_type in SUBJECT_KEYS]
    names = subject_names.names_for(subjects)
    user_ids = {_int(e.record_id) for e in entries if e.record_type == "user"} - {None}
    users = {i: subject_names.with_detail(name, username) for i, name, username in db.session.execute(
        select(User.id, User.name, User.username).where(User.id.in_(user_ids)))} if user_ids else {}
    reg_ids = {_int(e.record_id) for e in entries if e.record_type == "registration"} - {None}
    registrations = {i: subject_names.with_detail(name, mask_id_number(number)) for i, name, number in db.session.execute(
        select(Registration.id, Registration.name, Registration.id_number).where(Registration.id.in_(reg_ids)))} \
        if reg_ids else {}
    words = {}
    for entry in entries:
        kind = RECORD_LABELS.get(entry.record_type)
        kind = str(kind) if kind is not None else entry.record_type
        number = _int(entry.record_id)
        if entry.record_type in SUBJECT_KEYS:
            name = names.get(SUBJECT_KEYS[entry.record_type], {}).get(number)
        else:
            name = users.get(number) if entry.record_type == "user" else registrations.get(number) \
                if entry.record_type == "registration" else None
        words[entry.id] = f"{kind} {name}" if name else (f"{kind} #{entry.record_id}" if entry.record_id else kind)
    return words


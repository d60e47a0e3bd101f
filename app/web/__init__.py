"""Page blueprints."""
from datetime import timezone
from zoneinfo import ZoneInfo

from flask_babel import get_locale, gettext

from app.services.access import may
from app.services.roles import ROLE_LABELS
from app.web.menus import menu

SHANGHAI = ZoneInfo("Asia/Shanghai")


def register_blueprints(app):
    from app.web import admin, allocation, auth, datacenter, enterprise, home, inbox, projects, site, staff, worker
    from app.web import separation

    for module in (auth, home, enterprise, projects, admin, inbox, worker, datacenter, staff, site, allocation):
        app.register_blueprint(module.bp)
    app.register_blueprint(separation.bp)
    from app.web import onsite, onsite_settings, worker_site  # on site: staff pages, settings, the worker's phone
    for module in (onsite, onsite_settings, worker_site):
        app.register_blueprint(module.bp)
    from app.web import notices  # the person's 消息通知
    app.register_blueprint(notices.bp)
    from app.web import payroll, payroll_batches, payroll_drafts, payroll_wages  # 工资支付编制 and 工资条
    from app.web import enterprise_payroll, payroll_menus  # its four entries; the GC's 工资支付表推送银行
    for module in (payroll, payroll_menus, payroll_drafts, payroll_batches, payroll_wages, enterprise_payroll):
        app.register_blueprint(module.bp)
    from app.web import monitor  # 流程监控 (administrators)
    app.register_blueprint(monitor.bp)
    from app.web import modeler  # the analysts' BPMN modeler
    app.register_blueprint(modeler.bp)
    from app.web import identities, menu_shortcuts  # 选择身份; 聘用登记 and 项目人员接收 from the menu
    app.register_blueprint(identities.bp)
    app.register_blueprint(menu_shortcuts.bp)

    @app.template_filter("local_time")
    def local_time(value, fmt="%Y-%m-%d %H:%M"):
        """UTC in the database, Asia/Shanghai on the page."""
        if value is None:
            return ""
        return value.astimezone(timezone.utc).astimezone(SHANGHAI).strftime(fmt)

    from app.web.diagram_labels import translated
    app.add_template_filter(translated, "diagram_name")  # process, task and timer names in the user's language

    @app.template_filter("role_label")
    def role_label(role):
        return gettext(ROLE_LABELS.get(role, role))

    @app.context_processor
    def _helpers():
        return {"may": may, "get_locale": get_locale, "menu": menu,
                "open_task_count": inbox.open_task_count, "inbox_title": inbox.inbox_title,
                "unread_notices": notices.unread_count}


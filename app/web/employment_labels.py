"""An employment's status and identity as the pages say them: shared by 人员管理, the
separations pages and the worker's home (a module of its own, so none of them imports
another for its words)."""
from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "pending_consent": _l("待本人确认"), "pending_registration": _l("待聘用登记"), "active": _l("在职"),
    "resigning": _l("离职中"), "dismissing": _l("解聘中"), "ended": _l("已离职"), "declined": _l("已拒绝"),
    "expired": _l("已过期"), "withdrawn": _l("已撤回"),
}
STATUS_BADGES = {"pending_consent": "text-bg-warning", "pending_registration": "text-bg-info",
                 "active": "text-bg-success", "resigning": "text-bg-secondary", "dismissing": "text-bg-secondary"}
IDENTITY_LABELS = {"worker": _l("建筑工人"), "manager": _l("管理人员")}

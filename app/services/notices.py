"""消息通知 to a person (DOMAIN §2 "the person gets a 【消息通知】"): what happened and
where to act on it. `notify` is the single way a notice is made — issue 22 will send the
same texts by SMS through the outbox from here — and it writes in the caller's
transaction, so a notice exists exactly when the change it reports was committed.

Each kind's text is a msgid filled with the notice's params when shown; params named in
`translated` hold msgids themselves (a rejection reason from the automatic checks).
"""
import re
from dataclasses import dataclass

from sqlalchemy import func, select, update

from app.extensions import db
from app.models.notices import Notice
from app.models.types import utcnow
from app.services.i18n import N_

PAGE_SIZE = 20
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")

# Paths the notices point to. Services build no URLs (no request here, and the batch
# job has none); tests check each still resolves to its page.
REGISTRATION_PATH = "/me/registration"
EMPLOYMENT_PATH = "/me/employment"
WAGES_PATH = "/me/wages"
BANK_CARD_PATH = "/me/bank-card"


def task_path(task_id: int) -> str:
    return f"/inbox/{task_id}"


@dataclass(frozen=True)
class Kind:
    text: str  # msgid, %(name)s placeholders filled from params
    link: str | None = None  # the default path to act on
    translated: tuple = ()  # params that are msgids


KINDS: dict[str, Kind] = {
    "registration_verified": Kind(N_("您的个人信息登记已审核通过，现在可以接受企业聘用。"), REGISTRATION_PATH),
    "registration_rejected": Kind(N_("您的个人信息登记未通过审核，原因：%(reason)s。请按原因修改后重新登记。"),
                                  REGISTRATION_PATH, translated=("reason",)),
    "hire_consent": Kind(N_("%(enterprise)s 向您发起聘用，请确认是否同意。"), EMPLOYMENT_PATH),
    "dismissal_consent": Kind(N_("%(enterprise)s 发起与您解除聘用关系，原因：%(reason)s。请选择同意或不同意。"),
                              EMPLOYMENT_PATH),
    "wage_paid": Kind(N_("%(project)s %(month)s 的工资 %(amount)s 元已由银行发放。"), WAGES_PATH),
    "wage_failed": Kind(N_("%(project)s %(month)s 的工资 %(amount)s 元发放失败（%(reason)s），请绑定或更正本人银行卡。"),
                        BANK_CARD_PATH),
}


def notify(person_id: int, kind: str, *, link: str | None = None, **params) -> Notice:
    """A notice to the person, in the caller's transaction. `link` overrides the kind's
    default path (e.g. the very task to answer)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    notice = Notice(person_id=person_id, kind=kind, params={k: "" if v is None else str(v) for k, v in params.items()},
                    link=link or KINDS[kind].link, created_at=utcnow())
    db.session.add(notice)
    return notice


def render(notice: Notice, gettext) -> str:
    """The notice's text in the reader's language; `gettext` is the caller's translator."""
    kind = KINDS.get(notice.kind)
    if kind is None:  # a kind since removed: say nothing wrong rather than fail the page
        return ""
    params = {key: (gettext(value) if key in kind.translated and value else value)
              for key, value in (notice.params or {}).items()}
    for name in _PLACEHOLDER.findall(kind.text):  # a notice written before its text gained a placeholder
        params.setdefault(name, "")
    return gettext(kind.text, **params)


def of_person(person_id: int):
    """The person's notices, newest first (a select to paginate)."""
    return select(Notice).where(Notice.person_id == person_id).order_by(Notice.created_at.desc(), Notice.id.desc())


def unread_count(person_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notice).where(
        Notice.person_id == person_id, Notice.read_at.is_(None))) or 0


def mark_read(person_id: int, notice_ids: list[int]) -> int:
    """Marks the person's own notices read (others' ids are simply not touched); callers commit."""
    if not notice_ids:
        return 0
    return db.session.execute(update(Notice).where(
        Notice.person_id == person_id, Notice.id.in_(notice_ids), Notice.read_at.is_(None))
        .values(read_at=utcnow())).rowcount

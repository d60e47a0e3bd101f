"""The transactional outbox (ARCHITECTURE, "Messages to the outside world"): a message to
a bank or a phone is a row written in the transaction of the business change that
calls for it, and leaves later — never inside a user's request, so a receiver that is
down never fails one or strands a process instance.

- enqueue: in the caller's transaction; idempotent by message id (unique).
- deliver_due: the scheduler's job and `flask outbox deliver`. Each due row is claimed,
  sent with no transaction open, and its outcome recorded: delivered (and the kind's
  business change, e.g. the batch becomes `pushed`, in that same transaction), or tried
  again after a growing pause, or `failed` after OUTBOX_MAX_ATTEMPTS tries.
- requeue: 【重新推送】 of a delivered or failed message — the same bytes, audited.

Claims are compare-and-set on (state, claim): the row is taken only if still pending
and unclaimed (or its claim expired), so two deliverers never send one message twice;
on PostgreSQL the candidate is read `FOR UPDATE SKIP LOCKED`, so they pass each other by.
A deliverer that dies mid-send leaves a claim that expires: the message is sent again,
with the same message id, which the receiver de-duplicates (at least once, never lost).

Each kind says how its messages leave (app/services/bank_push.py registers the bank's).
"""
import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import undefer

from app.extensions import db
from app.models import OutboxMessage
from app.models.types import utcnow
from app.services import audit
from app.services.errors import Conflict
from app.services.i18n import N_

UNKNOWN_KIND = N_("系统不知道如何发送这类消息（%(kind)s）")
UNEXPECTED = N_("发送时发生意外错误，详见系统日志")
NOT_AGAIN = N_("只有已推送或推送失败的消息可以重新推送")

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A message did not reach its receiver; `reason` (a msgid) with `params` says why."""

    def __init__(self, reason: str, **params):
        super().__init__(reason % params if params else reason)
        self.reason, self.params = reason, params


@dataclass(frozen=True)
class Kind:
    """How one kind of message leaves, and what its delivery changes.

    prepare(message) → what send needs, read in the claim's transaction (DeliveryError: never sendable now);
    send(prepared) → the receiver's reference or None; raises DeliveryError; no transaction is open;
    delivered(message, again) → the business change of a delivery, in the transaction recording it;
    check_again(message) → raises a DomainError when the message must not be sent again.
    """

    channel: str
    prepare: Callable
    send: Callable
    delivered: Callable
    check_again: Callable = lambda message: None


KINDS: dict[str, Kind] = {}


def register(kind: str, handling: Kind) -> None:
    KINDS[kind] = handling


# --- writing -----------------------------------------------------------------------------------

def enqueue(kind: str, message_id: str, payload: bytes, details: dict, bank_batch_id: int | None = None) \
        -> OutboxMessage:
    """The message, pending from now, in the caller's transaction. The same message id
    again returns the row already written: the first copy is what leaves."""
    existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.message_id == message_id))
    if existing is not None:
        return existing
    message = OutboxMessage(message_id=message_id, channel=KINDS[kind].channel, kind=kind, payload=payload,
                            details=details, bank_batch_id=bank_batch_id, state="pending", attempts=0,
                            next_attempt_at=utcnow())
    db.session.add(message)
    db.session.flush()
    return message


def requeue(message: OutboxMessage, actor, reason: str | None = None) -> OutboxMessage:
    """【重新推送】: a delivered message the receiver says it never got, or a failed one,
    pending again with its stored bytes; audited. The caller commits."""
    db.session.refresh(message, with_for_update=True)  # two clicks at once: the second sees it pending
    if message.state not in ("delivered", "failed"):
        raise Conflict(NOT_AGAIN)
    handling = KINDS.get(message.kind)
    if handling is not None:
        handling.check_again(message)
    audit.record(actor, "outbox.redeliver", "outbox_message", message.id, reason=reason,
                 message_id=message.message_id, was=message.state, attempts=message.attempts)
    message.state, message.attempts, message.next_attempt_at = "pending", 0, utcnow()
    return message


# --- delivering ----------------------------------------------------------------------------------

@dataclass
class Outcome:
    """What one round of delivery did."""

    delivered: int = 0
    retrying: int = 0  # not delivered; tried again later
    failed: int = 0  # not delivered, and no tries left
    errors: list[str] = field(default_factory=list)  # the sentences, for the command line

    @property
    def tried(self) -> int:
        return self.delivered + self.retrying + self.failed


@dataclass
class _Claim:
    id: int
    token: str
    kind: str
    prepared: object = None
    error: DeliveryError | None = None
    reference: str | None = None


def deliver_due(limit: int | None = None, only: int | None = None) -> Outcome:
    """Delivers every pending message that is due (at most `limit`; only the row whose
    id is `only` when given), one try each. It commits as it goes: call it with nothing
    of the caller's left uncommitted."""
    outcome, passed = Outcome(), set()
    while limit is None or outcome.tried < limit:
        claim = _claim_next(passed, only)
        if claim is None:
            break
        _record(claim, claim.error or _send(claim), outcome)
    return outcome


def _claim_next(passed: set[int], only: int | None) -> _Claim | None:
    """Takes the next due, unclaimed row (compare-and-set) and reads what its send needs,
    then commits the claim: nothing is held open while the receiver is called."""
    while True:
        now = utcnow()
        free = or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)
        due = (OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now, free)
        query = select(OutboxMessage.id).where(*due).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        if passed:
            query = query.where(OutboxMessage.id.not_in(passed))
        if only is not None:
            query = query.where(OutboxMessage.id == only)
        row_id = db.session.scalar(query.limit(1).with_for_update(skip_locked=True))
        if row_id is None:
            db.session.rollback()
            return None
        passed.add(row_id)  # one try per message per round, whatever happens
        token = secrets.token_hex(16)
        until = now + timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])
        taken = db.session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id, *due)
                                   .values(claim_token=token, claimed_until=until)
                                   .execution_options(synchronize_session=False))
        if taken.rowcount == 1:
            break
        db.session.rollback()  # another deliverer took it first
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.id == row_id)
                                .options(undefer(OutboxMessage.payload)).execution_options(populate_existing=True))
    claim = _Claim(row_id, token, message.kind)
    try:
        handling = KINDS.get(message.kind)
        if handling is None:
            raise DeliveryError(UNKNOWN_KIND, kind=message.kind)
        claim.prepared = handling.prepare(message)
    except DeliveryError as error:
        claim.error = error
    except Exception:  # a bug: a failed try on the row, not a message that silently never leaves
        log.exception("outbox message %s: preparing it failed unexpectedly", row_id)
        claim.error = DeliveryError(UNEXPECTED)
    db.session.commit()
    return claim


def _send(claim: _Claim) -> DeliveryError | None:
    try:
        claim.reference = KINDS[claim.kind].send(claim.prepared)
    except DeliveryError as error:
        return error
    except Exception:  # a bug or a misconfiguration: recorded as a failed try, never lost
        log.exception("outbox message %s: sending failed unexpectedly", claim.id)
        return DeliveryError(UNEXPECTED)
    return None


def _record(claim: _Claim, error: DeliveryError | None, outcome: Outcome) -> None:
    """The try's outcome, with the kind's business change, in one transaction — only
    while the claim is still ours (an expired one may have passed to another deliverer)."""
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.id == claim.id, OutboxMessage.claim_token == claim.token)
        .with_for_update().execution_options(populate_existing=True))
    if message is None:
        db.session.rollback()
        log.warning("outbox message %s: the claim expired before the outcome was recorded", claim.id)
        return
    now = utcnow()
    message.attempts += 1
    message.last_attempt_at, message.claim_token, message.claimed_until = now, None, None
    if error is None:
        again = message.delivered_at is not None
        message.state, message.delivered_at, message.next_attempt_at = "delivered", now, None
        message.last_error = message.last_error_params = None
        message.reference = (claim.reference or "")[:64] or None
        KINDS[message.kind].delivered(message, again)
        outcome.delivered += 1
    else:
        message.last_error, message.last_error_params = error.reason, error.params or None
        outcome.errors.append(f"{message.message_id}: {error}")
        log.warning("outbox message %s (%s) not delivered, try %d: %s", message.id, message.message_id,
                    message.attempts, error)
        if message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
            message.state, message.next_attempt_at = "failed", None
            audit.record(None, "outbox.failed", "outbox_message", message.id, message_id=message.message_id,
                         attempts=message.attempts, error=str(error))
            outcome.failed += 1
        else:
            message.next_attempt_at = now + retry_pause(message.attempts)
            outcome.retrying += 1
    db.session.commit()


def retry_pause(attempts: int) -> timedelta:
    """OUTBOX_RETRY_SECONDS after the first failed try, doubling, at most OUTBOX_RETRY_MAX_SECONDS."""
    config = current_app.config
    seconds = config["OUTBOX_RETRY_SECONDS"] * 2 ** min(max(attempts - 1, 0), 20)
    return timedelta(seconds=min(seconds, config["OUTBOX_RETRY_MAX_SECONDS"]))


# --- reading -------------------------------------------------------------------------------------

def messages(state: str | None = None, channel: str | None = None):
    """The administrator's list: newest first, optionally by state and channel."""
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if state:
        query = query.where(OutboxMessage.state == state)
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    return query


def state_counts() -> dict[str, int]:
    """state → how many messages are in it (every state present)."""
    counts = dict.fromkeys(("pending", "delivered", "failed"), 0)
    counts.update(db.session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
    return counts

"""Payroll (DOMAIN §8): bank exchange batches per project and pay month, each
enterprise's draft of the month's wages from its people's sign-ins, and the lines."""
from app.extensions import db
from app.models.types import UTCDateTime, utcnow

BATCH_STATUSES = ("open", "summarized", "pm_signed", "signed", "pushed", "paid", "partially_paid")
DRAFT_STATUSES = ("drafting", "sub_review", "gc_review", "approved", "returned")
EDITABLE_DRAFT = ("drafting", "returned")


class BankBatch(db.Model):
    """银行交换批次: one per project and pay month (a follow-up batch re-sends failed lines)."""

    __tablename__ = "bank_batch"
    __table_args__ = (db.UniqueConstraint("project_id", "pay_month", "attempt"),)

    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), nullable=False)
    pay_month = db.Column(db.String(7), nullable=False)  # YYYY-MM
    attempt = db.Column(db.Integer, nullable=False, default=1)
    parent_id = db.Column(db.Integer, db.ForeignKey("bank_batch.id"))  # the batch a follow-up re-sends from
    batch_no = db.Column(db.String(40), nullable=False, unique=True)
    status = db.Column(db.String(16), nullable=False, default="open")
    period_start = db.Column(db.Date, nullable=False)
    period_end = db.Column(db.Date, nullable=False)
    pay_date = db.Column(db.Date)  # 发放日期: chosen at 【生成汇总表】, printed and signed, the bank's execution date
    # 本期未纳入: the units whose workers signed in during the period but that the GC PM
    # chose at 【生成汇总表】 to leave out, as [{"enterprise_id", "name", "workers"}] — the
    # name as printed on the summary, workers = how many of theirs signed in.
    left_out = db.Column(db.JSON)
    created_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    summarized_at = db.Column(UTCDateTime)
    pm_signed_at = db.Column(UTCDateTime)
    pm_signed_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    enterprise_signed_at = db.Column(UTCDateTime)
    enterprise_signed_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    pushed_at = db.Column(UTCDateTime)
    process_instance_id = db.Column(db.Integer, db.ForeignKey("process_instance.id"))
    # The summary PDF as signed so far (unsigned → PM-signed → both); kept in the database,
    # the one store every application server shares.
    document = db.deferred(db.Column(db.LargeBinary))

    project = db.relationship("Project")
    drafts = db.relationship("PayrollDraft", back_populates="batch", order_by="PayrollDraft.id")


class PayrollDraft(db.Model):
    """工资支付表: one enterprise's lines in one batch, drafted by its PM on the project."""

    __tablename__ = "payroll_draft"
    __table_args__ = (db.UniqueConstraint("batch_id", "enterprise_id"),)

    id = db.Column(db.Integer, primary_key=True)
    batch_id = db.Column(db.Integer, db.ForeignKey("bank_batch.id"), nullable=False)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), nullable=False)
    enterprise_id = db.Column(db.Integer, db.ForeignKey("enterprise.id"), nullable=False)
    status = db.Column(db.String(16), nullable=False, default="drafting")
    created_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    submitted_at = db.Column(UTCDateTime)
    submitted_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))  # the drafter the review leaves out
    approved_at = db.Column(UTCDateTime)
    review_comment = db.Column(db.String(500))  # why it was last returned
    process_instance_id = db.Column(db.Integer, db.ForeignKey("process_instance.id"))

    batch = db.relationship("BankBatch", back_populates="drafts")
    enterprise = db.relationship("Enterprise")
    lines = db.relationship("PayrollLine", back_populates="draft", order_by="PayrollLine.id")


class PayrollLine(db.Model):
    """One worker's wages for the month, in fen. Name, ID number, phone and card are
    copied at summary time: the signed document and the bank file must say the same."""

    __tablename__ = "payroll_line"
    __table_args__ = (db.UniqueConstraint("draft_id", "person_id"),)

    id = db.Column(db.Integer, primary_key=True)
    draft_id = db.Column(db.Integer, db.ForeignKey("payroll_draft.id"), nullable=False)
    person_id = db.Column(db.Integer, db.ForeignKey("person.id"), nullable=False)
    days = db.Column(db.Integer, nullable=False)
    gross_fen = db.Column(db.BigInteger)
    deductions_fen = db.Column(db.BigInteger)
    net_fen = db.Column(db.BigInteger)
    name = db.Column(db.String(64))
    id_number = db.Column(db.String(18))
    mobile = db.Column(db.String(16))
    bank_name = db.Column(db.String(64))
    bank_card_number = db.Column(db.String(19))
    pay_status = db.Column(db.String(8))  # paid | failed, from the bank's receipt
    pay_failure_reason = db.Column(db.String(255))
    resent_in_batch_id = db.Column(db.Integer, db.ForeignKey("bank_batch.id"))

    draft = db.relationship("PayrollDraft", back_populates="lines")
    person = db.relationship("Person")


class BankReceipt(db.Model):
    """A receipt the bank sent, kept by the bank's own id: the unique key is what makes
    a replayed receipt (or two copies arriving at once) change nothing the second time."""

    __tablename__ = "bank_receipt"

    id = db.Column(db.Integer, primary_key=True)
    receipt_id = db.Column(db.String(35), nullable=False, unique=True)  # JSON receipt_id, or pain.002 MsgId
    batch_id = db.Column(db.Integer, db.ForeignKey("bank_batch.id"), nullable=False, index=True)
    kind = db.Column(db.String(8), nullable=False)  # json | pain.002
    received_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    batch = db.relationship("BankBatch")

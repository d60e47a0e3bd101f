"""Payroll at the size of a big site: 5,000 workers × 22 sign-in days on PostgreSQL
(QUICK: 1,000 workers).

Set-up: a GC with its PM on one project, settlement day 25 and the batch of 2026-11;
the workers (bulk-inserted as bench/morning_peak does: users, verified persons, active
employments at the GC, confirmed allocations), each with a bank card and 22 sign-ins
in the period; a demo CA trusted through SIGNING_TRUST_ROOTS, PKCS#12 files for the PM
and the GC. Then each step once, as the services run it, timed:

- draft generation: payroll.create_draft (the sign-in count per person and the lines);
- PDF generation: payroll_batch.render (the summary with every line);
- each signature: payroll_batch.sign's signing step (signing.sign) for the PM, then the
  enterprise, on that PDF;
- XML generation: bank.credit_transfer_xml (with its XSD validation).

Goals (issue 8): draft < 2 s, PDF < 15 s, signature < 0.5 s. Not a timed test: figures.
"""
import time
from datetime import date, timedelta
from pathlib import Path

from bench.common import bench_app, met, row

GOALS = {"draft": 2.0, "pdf": 15.0, "signature": 0.5}
PASSWORD = "bench-2026"


def _world(app, count: int, tmp: Path):
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models import Allocation, Person, SignIn
    from app.services import bankcard, demo_ca, payroll
    from bench.morning_peak import _bulk_workers
    from tests.support.factories import World
    from tests.support.staffing import employee

    world = World(app)
    gc = world.enterprise()
    project = world.project(gc)
    pm_person = employee(world, gc, "manager")
    from app.services import allocation
    allocation.designate_manager(world.hr_admin(gc), project, pm_person.id)
    db.session.commit()
    pm = pm_person.user
    _bulk_workers(project.id, [gc.id], count)
    people = db.session.execute(select(Allocation.person_id, Allocation.id).where(
        Allocation.project_id == project.id, Allocation.role == "worker")).all()
    cards = {pid: f"62170012{pid:010d}" for pid, _ in people}
    db.session.execute(Person.__table__.update().where(Person.id == Person.id).values(bank_name="中国建设银行"))
    for pid, body in cards.items():  # one UPDATE per person: set-up only
        db.session.execute(Person.__table__.update().where(Person.id == pid).values(
            bank_card_number=body + bankcard.luhn_check_digit(body)))
    payroll.set_settlement_day(pm, project, "25")
    batch = payroll.create_batch(pm, project, "2026-11")
    days = [d for d in (batch.period_start + timedelta(days=i) for i in range(31)) if d.weekday() < 6][:22]
    rows = [{"project_id": project.id, "person_id": pid, "allocation_id": aid, "enterprise_id": gc.id,
             "work_date": d, "method": "officer_scan", "officer_person_id": pm_person.id}
            for pid, aid in people for d in days]
    for i in range(0, len(rows), 20_000):
        db.session.execute(insert(SignIn), rows[i:i + 20_000])
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    ca = demo_ca.create_ca()
    (tmp / "ca.pem").write_bytes(ca.cert_pem)
    app.config["SIGNING_TRUST_ROOTS"] = [str(tmp / "ca.pem")]
    certs = {"pm": demo_ca.issue_person(ca, pm_person.name, pm_person.id_number, PASSWORD),
             "gc": demo_ca.issue_enterprise(ca, gc.name, gc.uscc, PASSWORD)}
    return project, pm, pm_person, gc, batch, certs, len(rows)


def _timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t0


def run(quick: bool) -> list[dict]:
    import tempfile

    from app.extensions import db
    from app.services import bank, payroll, payroll_batch, signing
    from app.models.types import utcnow

    count = 1_000 if quick else 5_000
    rows = []
    with tempfile.TemporaryDirectory(prefix="rn_payroll_") as tmp, bench_app("postgresql", "payroll") as app:
        project, pm, pm_person, gc, batch, certs, signins = _world(app, count, Path(tmp))
        with app.test_request_context():
            draft, draft_s = _timed(lambda: payroll.create_draft(pm, project, batch.id, "2026-11"))
            db.session.commit()
            lines = draft.lines
            for line in lines:  # the PM's amounts (set-up for the next steps, not timed)
                line.gross_fen, line.deductions_fen, line.net_fen = 8_800_00, 100_00, 8_700_00
                line.name, line.id_number, line.mobile = line.person.name, line.person.id_number, line.person.phone
                line.bank_name, line.bank_card_number = line.person.bank_name, line.person.bank_card_number
            draft.status = "approved"
            db.session.commit()
            pdf, pdf_s = _timed(lambda: payroll_batch.render(batch))
            roots = signing.trust_roots_from_config(app.config)
            once, pm_s = _timed(lambda: signing.sign(pdf, payroll_batch.PM_FIELD, certs["pm"], PASSWORD,
                                                     pm_person.id_number, roots))
            twice, gc_s = _timed(lambda: signing.sign(once, payroll_batch.ENTERPRISE_FIELD, certs["gc"], PASSWORD,
                                                      gc.uscc, roots))
            report, check_s = _timed(lambda: signing.validate(twice, roots, [
                (payroll_batch.PM_FIELD, pm_person.id_number), (payroll_batch.ENTERPRISE_FIELD, gc.uscc)]))
            credits = [bank.Credit(end_to_end_id=str(line.id), name=line.name, account=line.bank_card_number,
                                   amount_fen=line.net_fen) for line in lines]
            xml, xml_s = _timed(lambda: bank.credit_transfer_xml(bank.Transfer(
                batch_no=batch.batch_no, message_id=batch.batch_no, created_at=utcnow(), requested_date=date.today(),
                debtor_name=project.wage_account_name, debtor_account=project.wage_account_no,
                debtor_bank=project.wage_bank_name, lines=credits)))
        size = f"{len(lines):,} lines from {signins:,} sign-ins"
        rows.append(row("payroll draft generation", f"{draft_s:.2f}", "s", f"< {GOALS['draft']}",
                        f"{size} {met(draft_s < GOALS['draft'])}"))
        rows.append(row("payroll summary PDF", f"{pdf_s:.2f}", "s", f"< {GOALS['pdf']}",
                        f"{len(pdf) / 1e6:.1f} MB {met(pdf_s < GOALS['pdf'])}"))
        rows.append(row("payroll signature: PM", f"{pm_s:.2f}", "s", f"< {GOALS['signature']}",
                        met(pm_s < GOALS["signature"])))
        rows.append(row("payroll signature: enterprise", f"{gc_s:.2f}", "s", f"< {GOALS['signature']}",
                        met(gc_s < GOALS["signature"])))
        rows.append(row("payroll validation of both signatures", f"{check_s:.2f}", "s", "-",
                        "ok" if report.ok else f"NOT OK: {report}"))
        rows.append(row("payroll pain.001 XML (with XSD validation)", f"{xml_s:.2f}", "s", "-",
                        f"{len(xml) / 1e6:.1f} MB"))
    return rows

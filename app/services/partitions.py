"""Monthly partitions on PostgreSQL (migration 0019): sign-ins and attendance by their
Shanghai work date, the audit log by its UTC time, one partition a month named
`signin_2026_12`, and a default partition (`signin_default`) for a row of a month that
has none, so no row is ever refused.

A daily job makes this month and the next AHEAD ahead, so in normal running the default
partition stays empty. A month made while the default partition holds rows of it gets
them moved in, in the same transaction. Retention drops the partitions of whole months
past its horizon. Everything here does nothing on SQLite, whose tables stay plain."""
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text

from app.extensions import db, on_postgresql

KEYS = {"signin": "work_date", "attendance": "work_date", "audit_entry": "at"}  # table: partition key
AHEAD = 3  # months made after the current one: a quarter of missed daily runs before the default fills
_NAME = re.compile(r"(signin|attendance|audit_entry)_(\d{4}_\d{2}|default)")
_LOWER = re.compile(r"FROM \('(\d{4})-(\d{2})-01")
# One maker at a time, across processes: two CREATEs of one table collide in the catalogue,
# IF NOT EXISTS or not.
_MAKER_LOCK = 0x7061_7274


@dataclass(frozen=True)
class Partition:
    name: str
    month: date | None  # its first day; None for the default partition
    rows: int | None  # the planner's estimate; None until the table is first analysed


def add_months(month: date, n: int) -> date:
    years, index = divmod(month.month - 1 + n, 12)
    return date(month.year + years, index + 1, 1)


def month_name(table: str, month: date) -> str:
    return f"{table}_{month:%Y_%m}"


def is_partition(name: str) -> bool:
    return _NAME.fullmatch(name) is not None


def include_name(name, type_, parent_names) -> bool:
    """For Alembic's comparison with the models: partitions are made at run time, not modelled."""
    return type_ != "table" or not is_partition(name)


# --- making months ----------------------------------------------------------------------------------

def make_ahead(today: date, months: int = AHEAD) -> list[str]:
    """Makes every missing partition from `today`'s month to `months` after it, for each
    table; returns the names made. Safe to run twice, or in two processes at once."""
    if not on_postgresql():
        return []
    first = today.replace(day=1)
    return [month_name(table, month) for table in KEYS
            for month in (add_months(first, n) for n in range(months + 1)) if make_month(table, month)]


def make_month(table: str, month: date) -> bool:
    """Makes one month's partition unless it exists (False then), moving in the rows of
    that month the default partition holds. Commits: a job's step, not part of a change."""
    name, key = month_name(table, month), KEYS[table]
    lower, upper = _bound(table, month), _bound(table, add_months(month, 1))
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MAKER_LOCK})
    if db.session.scalar(text("SELECT to_regclass(:name)"), {"name": name}) is not None:
        db.session.rollback()  # and with it the lock
        return False
    in_month = f"{key} >= '{lower}' AND {key} < '{upper}'"
    # Made beside the table and attached, rather than CREATE … PARTITION OF: attaching
    # leaves sign-ins running (SHARE UPDATE EXCLUSIVE on the table). Locks in the order
    # writers take them — table, then partition — so a writer never deadlocks with this;
    # only rows bound for the default partition wait, and none of the month arrives there
    # while its rows are moved out.
    for statement in (
            f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)",
            f"LOCK TABLE {table} IN SHARE UPDATE EXCLUSIVE MODE",
            f"LOCK TABLE {table}_default IN ACCESS EXCLUSIVE MODE",
            f"INSERT INTO {name} SELECT * FROM {table}_default WHERE {in_month}",
            f"DELETE FROM {table}_default WHERE {in_month}",
            f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ('{lower}') TO ('{upper}')"):
        db.session.execute(text(statement))
    db.session.commit()
    return True


def _bound(table: str, month: date) -> str:
    # the audit log's months begin at midnight UTC; a work date is a Shanghai date already
    return f"{month.isoformat()} 00:00:00+00" if KEYS[table] == "at" else month.isoformat()


# --- looking and dropping ---------------------------------------------------------------------------

def partitions(table: str) -> list[Partition]:
    """The table's partitions by month, the default one last; none on SQLite."""
    if not on_postgresql():
        return []
    rows = db.session.execute(text(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = CAST(:table AS regclass)"), {"table": table})
    found = [Partition(name, _month(bound), int(estimate) if estimate >= 0 else None)
             for name, bound, estimate in rows]
    return sorted(found, key=lambda p: (p.month is None, p.month or date.min))


def _month(bound: str) -> date | None:
    lower = _LOWER.search(bound)
    return date(int(lower[1]), int(lower[2]), 1) if lower else None


def whole_months_before(table: str, month: date) -> list[Partition]:
    """The partitions of months that end on or before the first day of `month`."""
    return [p for p in partitions(table) if p.month is not None and add_months(p.month, 1) <= month]


def drop_before(table: str, month: date) -> dict[str, int]:
    """Drops the partitions of whole months before `month`, in the caller's transaction;
    returns the rows each held, counted just before it went. A drop holds the table's
    exclusive lock until the caller commits: writers and readers wait, so commit soon."""
    dropped = {}
    for p in whole_months_before(table, month):
        # writes into the month wait from here on, so the count is what goes
        db.session.execute(text(f"LOCK TABLE {p.name} IN SHARE MODE"))
        dropped[p.name] = db.session.scalar(text(f"SELECT count(*) FROM {p.name}"))
        db.session.execute(text(f"DROP TABLE {p.name}"))
    return dropped

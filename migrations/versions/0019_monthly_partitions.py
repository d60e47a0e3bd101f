"""按月分区 — sign-ins, attendance and the audit log partitioned by month on PostgreSQL

Revision ID: 0019_monthly_partitions
Revises: 0018_history_from_rows
Create Date: 2026-12-03 19:00:00

A city's million workers sign in every morning: ~20 M sign-in rows a month. On PostgreSQL
`signin` and `attendance` become `PARTITION BY RANGE (work_date)` (a Shanghai date) and
`audit_entry` `PARTITION BY RANGE (at)` (UTC month boundaries), one partition a month named
`signin_2026_12`, so retention drops a whole month instead of deleting 20 M rows one by one.
SQLite keeps plain tables: this revision changes nothing there.

Each table is rebuilt: the old one renamed, the partitioned one made with the same columns,
its partitions made, the rows copied, the old one dropped, then the same named keys,
foreign keys and indexes added (after the copy: one bulk build instead of 20 M updates).
The id sequence is handed over to the new table, so ids keep counting. PostgreSQL wants
the partition key in every unique key: the primary keys become (id, work_date) and
(id, at) — ids stay unique because the sequence alone hands them out; the models keep `id`
as their key. The unique sign-in of a worker per project per day already names work_date.
No table has a foreign key into these three. Downgrade rebuilds plain tables the same way.
The rebuild locks the three tables while it runs — about 10 s per million rows measured
(2.1 M sign-ins: 22 s) — so on a large database it belongs in a maintenance window.

Partitions made here: every month that has rows, plus this month and the next three; the
scheduler keeps making months ahead (app/services/partitions.py).

Each table also gets a DEFAULT partition (`signin_default`). Without one, a row whose month
has no partition is refused with an error — a sign-in refused because a job did not run, a
backdated punch for a month before the first partition, a test that travels in time. With
it nothing is refused; in normal running it stays empty because months are made ahead.
When a month is made later while the default partition holds rows of that month, the
maker moves them into the new partition in the same transaction (see partitions.py);
retention deletes what the default partition holds past the horizon by row.
"""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


revision = '0019_monthly_partitions'
down_revision = '0018_history_from_rows'
branch_labels = None
depends_on = None

SHANGHAI = ZoneInfo("Asia/Shanghai")
AHEAD = 3  # months after the current one


def _id(table):
    # the existing sequence, not a new SERIAL: ids keep counting
    return sa.Column('id', sa.Integer(), autoincrement=False, nullable=False,
                     server_default=sa.text(f"nextval('{table}_id_seq'::regclass)"))


def _signin_columns():
    return [
        _id('signin'),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('allocation_id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('work_date', sa.Date(), nullable=False),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('method', sa.String(length=16), nullable=False),
        sa.Column('officer_person_id', sa.Integer(), nullable=False),
        sa.Column('lng', sa.Float(), nullable=True),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('distance_m', sa.Integer(), nullable=True),
    ]


def _attendance_columns():
    return [
        _id('attendance'),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('allocation_id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('method', sa.String(length=16), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('work_date', sa.Date(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('lng', sa.Float(), nullable=True),
        sa.Column('lat', sa.Float(), nullable=True),
    ]


def _audit_entry_columns():
    return [
        _id('audit_entry'),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('record_type', sa.String(length=32), nullable=False),
        sa.Column('record_id', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.Column('details', sa.JSON(), nullable=True),
    ]


# name: (partition key, columns, unique constraints, foreign keys (column, table), indexes)
TABLES = {
    'signin': ('work_date', _signin_columns,
               {'uq_signin_project_id_person_id_work_date': ['project_id', 'person_id', 'work_date']},
               {'allocation_id': 'allocation', 'enterprise_id': 'enterprise', 'officer_person_id': 'person',
                'person_id': 'person', 'project_id': 'project'},
               {'ix_signin_enterprise_date': ['enterprise_id', 'work_date'],
                'ix_signin_project_date': ['project_id', 'work_date']}),
    'attendance': ('work_date', _attendance_columns, {},
                   {'allocation_id': 'allocation', 'enterprise_id': 'enterprise', 'person_id': 'person',
                    'project_id': 'project', 'recorded_by_id': 'user_account'},
                   {'ix_attendance_person_at': ['person_id', 'at'],
                    'ix_attendance_project_date': ['project_id', 'work_date']}),
    'audit_entry': ('at', _audit_entry_columns, {},
                    {'actor_id': 'user_account'},
                    {'ix_audit_entry_actor_id': ['actor_id'], 'ix_audit_entry_at': ['at'],
                     'ix_audit_entry_record': ['record_type', 'record_id']}),
}


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        _rebuild(table, partitioned=True)


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        _rebuild(table, partitioned=False)


def _rebuild(table, partitioned):
    key, columns, uniques, foreign_keys, indexes = TABLES[table]
    old = f'{table}_before_0019'
    op.rename_table(table, old)
    # the old table's index names are needed again; its rows are copied below
    for name in indexes:
        op.drop_index(name, table_name=old)
    for name in uniques:
        op.drop_constraint(name, old, type_='unique')
    op.drop_constraint(f'pk_{table}', old, type_='primary')

    made = columns()
    options = {'postgresql_partition_by': f'RANGE ({key})'} if partitioned else {}
    op.create_table(table, *made, **options)
    op.execute(f'ALTER SEQUENCE {table}_id_seq OWNED BY {table}.id')  # else it goes with the old table
    if partitioned:
        for month in _months(old, key):
            lower, upper = _bounds(key, month), _bounds(key, _add_months(month, 1))
            op.execute(f"CREATE TABLE {table}_{month:%Y_%m} PARTITION OF {table} "
                       f"FOR VALUES FROM ('{lower}') TO ('{upper}')")
        op.execute(f'CREATE TABLE {table}_default PARTITION OF {table} DEFAULT')
    names = ', '.join(c.name for c in made)
    op.execute(f'INSERT INTO {table} ({names}) SELECT {names} FROM {old}')
    op.drop_table(old)

    op.create_primary_key(f'pk_{table}', table, ['id', key] if partitioned else ['id'])
    for name, unique in uniques.items():
        op.create_unique_constraint(name, table, unique)
    for column, target in foreign_keys.items():
        op.create_foreign_key(f'fk_{table}_{column}_{target}', table, target, [column], ['id'])
    for name, indexed in indexes.items():
        op.create_index(name, table, indexed, unique=False)


def _months(old, key):
    """Every month the table has rows in, this month and AHEAD more."""
    month_of = f"date_trunc('month', {key} AT TIME ZONE 'UTC')" if key == 'at' else f"date_trunc('month', {key})"
    having = {row[0] for row in op.get_bind().execute(sa.text(f'SELECT DISTINCT {month_of}::date FROM {old}'))}
    now = datetime.now(timezone.utc)
    first = now.date().replace(day=1)  # the UTC month: the audit log's, at most a day behind Shanghai's
    last = _add_months(now.astimezone(SHANGHAI).date().replace(day=1), AHEAD)
    months = set(having)
    while first <= last:
        months.add(first)
        first = _add_months(first, 1)
    return sorted(months)


def _add_months(month, n):
    years, index = divmod(month.month - 1 + n, 12)
    return date(month.year + years, index + 1, 1)


def _bounds(key, month):
    # the audit log's months begin at midnight UTC; a day's date is a Shanghai date already
    return f'{month.isoformat()} 00:00:00+00' if key == 'at' else month.isoformat()

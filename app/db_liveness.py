"""A pooled PostgreSQL connection the server closed meanwhile (a restart, a failover,
an idle timeout, pg_terminate_backend) is found and replaced when the pool hands it out,
never met by a request as a 500.

SQLAlchemy's pool_pre_ping does this with a round trip on every checkout — one per
transaction, a quarter of a sign-in's round trips at the morning peak. A connection
handed out again within moments needs none: a server that ends a connection says so
first (its FATAL message, then the end of the stream), so the socket has something to
read while no query is in flight. Only then, or after PING_AFTER_IDLE seconds unused
(a connection lost without a word: a network cut, a failover), is it pinged; a failed
ping makes the pool try a fresh connection (DisconnectionError).
"""
import select
import time

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError

PING_AFTER_IDLE = 10.0  # seconds
_RETURNED = "realname.returned_at"


def install(engine) -> None:
    event.listen(engine, "connect", _returned)  # a new connection needs no ping either
    event.listen(engine, "checkin", _returned)
    event.listen(engine, "checkout", _handed_out)


def _returned(_dbapi_connection, record) -> None:
    record.info[_RETURNED] = time.monotonic()


def _handed_out(dbapi_connection, record, _proxy) -> None:
    idle = time.monotonic() - record.info.get(_RETURNED, 0.0)
    if idle > PING_AFTER_IDLE or _server_spoke(dbapi_connection):
        if not _answers(dbapi_connection):
            raise DisconnectionError("the server closed this connection")


def _server_spoke(dbapi_connection) -> bool:
    """Something to read on an idle connection: the server's goodbye, or a notice."""
    if dbapi_connection.closed:
        return True
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _answers(dbapi_connection) -> bool:
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()
        return True
    except Exception:  # any failure means: do not hand this one out
        return False

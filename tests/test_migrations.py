"""The schema is made by the migrations, and they match the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.extensions import db
from app.services.partitions import include_name


def test_migrations_match_the_models(app):
    """The test database was built by `flask db upgrade`; the models must not differ from it."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        assert compare_metadata(context, db.metadata) == []


def test_check_command_passes(app):
    assert app.test_cli_runner().invoke(args=["db", "check"]).exit_code == 0


def test_schema_has_named_constraints(app):
    inspector = inspect(db.engine)
    uniques = {u["name"] for u in inspector.get_unique_constraints("enterprise")}
    assert "uq_enterprise_uscc" in uniques
    fks = {f["name"] for f in inspector.get_foreign_keys("participant")}
    assert "fk_participant_project_id_project" in fks

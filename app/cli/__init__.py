"""Command-line tools: `flask --app wsgi <command>`."""
import click
from flask import current_app

from app.extensions import db
from app.services import accounts, audit, roles
from app.services.errors import DomainError


def register_commands(app):
    from app.cli.demo import demo_data
    from app.cli.registrations import registrations
    from app.cli.retention import retention
    from app.cli.workflow import scheduler, timers

    for command in (create_admin, demo_data, timers, scheduler, registrations, retention):
        app.cli.add_command(command)


@click.command("create-admin")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--name", default="系统管理员")
def create_admin(username: str, password: str, name: str):
    """Create a platform administrator account (or make an existing user one)."""
    user = accounts.find_user(username)
    if user is None:
        try:
            user = accounts.create_staff_account(username, password, name,
                                                 method=current_app.config["PASSWORD_HASH_METHOD"])
        except DomainError as error:
            raise click.ClickException(error.message)
    roles.grant(user, roles.ADMIN)
    audit.record(None, "role.grant", "user", user.id, role=roles.ADMIN, via="cli")
    db.session.commit()
    click.echo(f"admin: {user.username}")

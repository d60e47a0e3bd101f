"""Command-line tools: `flask --app wsgi <command>`.

Every command runs inside the application context: groups are flask.cli.AppGroup (their
commands get it), and plain commands are wrapped in with_appcontext — `flask` would push
one anyway, but app.test_cli_runner() does not."""
import click
from flask import current_app
from flask.cli import with_appcontext

from app.extensions import db
from app.forms.accounts import PASSWORD_RULE, USERNAME
from app.services import accounts, audit, roles
from app.services.errors import DomainError


def register_commands(app):
    from app.cli.backup import backup
    from app.cli.demo import demo_data
    from app.cli.outbox import outbox
    from app.cli.partitions import partitions
    from app.cli.registrations import registrations
    from app.cli.retention import retention
    from app.cli.workflow import scheduler, timers

    for command in (create_admin, demo_data, timers, scheduler, registrations, retention, backup, outbox,
                    partitions):
        app.cli.add_command(command)


@click.command("create-admin")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--name", default="系统管理员")
@with_appcontext
def create_admin(username: str, password: str, name: str):
    """Create a platform administrator account (or make an existing user one)."""
    user = accounts.find_user(username)
    if user is None:
        # the sign-up page's rules: an administrator's password is no weaker than a worker's
        if not USERNAME.regex.match(username):
            raise click.ClickException("username: 3 to 32 letters, digits, '_', '.' or '-'")
        if not PASSWORD_RULE.regex.match(password):
            raise click.ClickException("password: at least 8 characters, with letters and digits")
        try:
            user = accounts.create_staff_account(username, password, name,
                                                 method=current_app.config["PASSWORD_HASH_METHOD"])
        except DomainError as error:
            raise click.ClickException(error.message)
    else:
        click.echo(f"{user.username} exists: password unchanged")
    roles.grant(user, roles.ADMIN)
    audit.record(None, "role.grant", "user", user.id, role=roles.ADMIN, via="cli")
    db.session.commit()
    click.echo(f"admin: {user.username}")

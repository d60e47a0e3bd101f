"""`flask backup create` and `flask backup restore`: the database, UPLOAD_FOLDER and
KEY_FOLDER in one archive (app/services/backup.py; docs/operations.md §3)."""
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.services import backup as service

backup = AppGroup("backup", help="Back up and restore the database, the uploads and the key folder together.")


@backup.command("create")
@click.option("--to", "archive", type=click.Path(dir_okay=False, path_type=Path),
              help="the archive to write (default: INSTANCE/backups/realname-<UTC time>.tar.gz)")
def create(archive: Path | None):
    """Write one archive of everything a restore needs (mode 600: it holds personal data)."""
    if archive is None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        archive = Path(current_app.instance_path) / "backups" / f"realname-{stamp}.tar.gz"
    try:
        manifest = service.create(db.engine, current_app.config, archive)
    except service.BackupError as error:
        raise click.ClickException(str(error))
    click.echo(f"backup written: {archive} ({len(manifest.files)} files, schema {manifest.revision})")


@backup.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="restore; without it the archive is only checked")
def restore(archive: Path, yes: bool):
    """Check an archive, and with --yes restore it into the configured (empty) database and folders."""
    try:
        if not yes:
            manifest = service.read_manifest(archive)
            click.echo(f"{archive}: {manifest.dialect} database, schema {manifest.revision}, "
                       f"{len(manifest.files)} files, made {manifest.created_at}. Nothing restored: add --yes.")
            return
        manifest = service.restore(db.engine, current_app.config, archive)
    except service.BackupError as error:
        raise click.ClickException(str(error))
    click.echo(f"restored {len(manifest.files)} files, schema {manifest.revision}; "
               "next: `flask db upgrade` if this release is newer, then start the servers")

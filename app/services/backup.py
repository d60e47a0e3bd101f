"""Backups that restore everything: one archive holding the database (pg_dump's custom
format on PostgreSQL, an online copy on SQLite — so the outbox's transfer files, the
signed summaries and every process's state come with it), the uploaded ID-card images
(UPLOAD_FOLDER) and the key folder (KEY_FOLDER: the fallback SECRET_KEY), with a
manifest of every file's SHA-256. A restore checks every file against the manifest
before it writes anything, and fills only an empty database and empty folders.

What an archive does not hold, because it is configuration kept apart from the data:
SECRET_KEY / BANK_HMAC_KEY when set in the environment, and the trust roots
(SIGNING_TRUST_ROOTS) — docs/operations.md §3 lists them.

The archive holds personal data and secrets: it is written with mode 600.
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

FORMAT = 1
MANIFEST = "manifest.json"
FOLDERS = {"uploads": "UPLOAD_FOLDER", "keys": "KEY_FOLDER"}  # archive prefix → setting
DAMAGED = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile)
UNREADABLE = "the archive cannot be read: it is damaged or not a backup of this application"


class BackupError(Exception):
    """Why a backup or a restore cannot go on; nothing has been written when raised by restore."""


@dataclass
class Manifest:
    created_at: str
    dialect: str
    revision: str | None
    files: dict  # archive name → sha256

    def as_json(self) -> bytes:
        return json.dumps({"format": FORMAT, "created_at": self.created_at, "dialect": self.dialect,
                           "revision": self.revision, "files": self.files}, indent=1, sort_keys=True).encode()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_args(url) -> tuple[list, dict]:
    """Connection arguments for pg_dump / pg_restore; the password goes in the environment,
    not on a command line other users of the machine can read."""
    args = [f"--host={url.host or '127.0.0.1'}", f"--port={url.port or 5432}", f"--dbname={url.database}"]
    if url.username:
        args.append(f"--username={url.username}")
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    return args, env


def _run(command: list, env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[:500]}")


def _dump_database(engine, into: Path) -> str:
    """The database as one file in `into`; its archive name."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={into / 'database.dump'}",
              *args], env)
        return "database.dump"
    if url.get_backend_name() == "sqlite" and url.database:
        source = sqlite3.connect(url.database)
        target = sqlite3.connect(into / "database.sqlite3")
        with target:
            source.backup(target)  # a consistent copy while the application writes
        source.close()
        target.close()
        return "database.sqlite3"
    raise BackupError(f"cannot back up a {url.get_backend_name()} database")


def _revision(engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _folder_files(config) -> list[tuple[str, Path]]:
    found = []
    for prefix, setting in FOLDERS.items():
        root = Path(config[setting])
        if root.is_dir():
            found += [(f"{prefix}/{path.relative_to(root).as_posix()}", path)
                      for path in sorted(root.rglob("*")) if path.is_file()]
    return found


def create(engine, config, archive: Path) -> Manifest:
    """Writes the archive (atomically: a half-written file never has the final name)."""
    archive = Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        database = _dump_database(engine, scratch)
        members = [(database, scratch / database), *_folder_files(config)]
        manifest = Manifest(datetime.now(timezone.utc).isoformat(), engine.url.get_backend_name(), _revision(engine),
                            {name: _sha256(path) for name, path in members})
        partial = archive.with_name(archive.name + ".partial")
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as raw, \
                tarfile.open(fileobj=raw, mode="w:gz") as tar:
            body = manifest.as_json()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode = len(body), 0o600
            tar.addfile(info, io.BytesIO(body))
            for name, path in members:
                tar.add(path, arcname=name, recursive=False)
        os.replace(partial, archive)
    return manifest


def read_manifest(archive: Path) -> Manifest:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            return _manifest_of(tar)
    except DAMAGED:
        raise BackupError(UNREADABLE) from None


def _manifest_of(tar) -> Manifest:
    try:
        data = json.loads(tar.extractfile(MANIFEST).read())
    except (KeyError, AttributeError, ValueError):
        raise BackupError("the archive has no readable manifest: not a backup of this application") from None
    if data.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {data.get('format')!r}")
    return Manifest(data["created_at"], data["dialect"], data["revision"], data["files"])


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name == path.as_posix()


def _unpack(archive: Path, into: Path) -> Manifest:
    """Every file of the manifest, checked against its SHA-256, into `into`; nothing else."""
    try:
        return _unpack_checked(archive, into)
    except DAMAGED:
        raise BackupError(UNREADABLE) from None


def _unpack_checked(archive: Path, into: Path) -> Manifest:
    with tarfile.open(archive, "r:gz") as tar:
        manifest = _manifest_of(tar)
        for name, digest in manifest.files.items():
            if not _safe_name(name):
                raise BackupError(f"the archive names an unsafe path: {name}")
            member = tar.getmember(name) if name in tar.getnames() else None
            if member is None or not member.isfile():
                raise BackupError(f"the archive lacks {name}")
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
            if _sha256(target) != digest:
                raise BackupError(f"{name} does not match the manifest: the archive is damaged")
    return manifest


def _require_empty(engine, config) -> None:
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
    if tables:
        raise BackupError("the database to restore into is not empty: create a new, empty database")
    for setting in FOLDERS.values():
        folder = Path(config[setting])
        if folder.is_dir() and any(folder.iterdir()):
            raise BackupError(f"{setting} is not empty: restore into empty folders")


def restore(engine, config, archive: Path) -> Manifest:
    """Fills the (empty) database and folders of `config` from the archive."""
    _require_empty(engine, config)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        manifest = _unpack(Path(archive), scratch)
        if manifest.dialect != engine.url.get_backend_name():
            raise BackupError(f"the archive holds a {manifest.dialect} database; this one is "
                              f"{engine.url.get_backend_name()}")
        _restore_database(engine, scratch)
        for prefix, setting in FOLDERS.items():
            source = scratch / prefix
            if source.is_dir():
                shutil.copytree(source, config[setting], dirs_exist_ok=True)
    return manifest


def _restore_database(engine, scratch: Path) -> None:
    url = engine.url
    if url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *args,
              str(scratch / "database.dump")], env)
        return
    engine.dispose()  # no connection may hold the file being replaced
    shutil.copyfile(scratch / "database.sqlite3", make_url(str(url)).database)

"""Numbered SQL migrations from ``sql/``, applied in order, each in its own transaction.

A file is named ``NNN_description.sql``. Applied files are recorded in
``schema_migrations`` with a checksum; an applied file that changed later is reported,
because editing history silently is how schemas drift between installations.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

log = logging.getLogger("dialer.migrations")

_NAME = re.compile(r"^(\d{3,})_([a-z0-9_]+)\.sql$")
# One advisory lock key so two processes starting together never migrate at once.
_LOCK_KEY = 7_041_982_001


class MigrationError(Exception):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path
    checksum: str

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def discover(folder: Path) -> list[Migration]:
    found: dict[int, Migration] = {}
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNN_description.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path.name}: version {version} is used twice")
        checksum = hashlib.sha256(path.read_bytes()).hexdigest()
        found[version] = Migration(version, match.group(2), path, checksum)
    return [found[v] for v in sorted(found)]


async def _ensure_table(conn: asyncpg.Connection) -> None:
    await conn.execute(
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )


async def pending(conn: asyncpg.Connection, folder: Path) -> list[Migration]:
    await _ensure_table(conn)
    applied = {
        r["version"]: r["checksum"]
        for r in await conn.fetch("SELECT version, checksum FROM schema_migrations")
    }
    todo = []
    for mig in discover(folder):
        if mig.version in applied:
            if applied[mig.version] != mig.checksum:
                log.warning("migration %s changed after it was applied", mig.path.name)
            continue
        todo.append(mig)
    return todo


async def migrate(dsn: str, folder: Path, dry_run: bool = False) -> list[Migration]:
    """Apply what is pending; with ``dry_run`` only report it. Returns the migrations concerned."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            todo = await pending(conn, folder)
            if dry_run:
                return todo
            for mig in todo:
                async with conn.transaction():
                    try:
                        await conn.execute(mig.sql)
                    except asyncpg.PostgresError as exc:
                        raise MigrationError(f"{mig.path.name}: {exc}") from exc
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        mig.version,
                        mig.name,
                        mig.checksum,
                    )
                log.info("applied migration %s", mig.path.name)
            return todo
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await conn.close()

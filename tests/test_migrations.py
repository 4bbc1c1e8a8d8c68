from __future__ import annotations

import secrets
from pathlib import Path

import asyncpg
import pytest

from dialer.migrations import MigrationError, discover, migrate
from tests.conftest import ROOT, _admin_exec, _dsn_for


@pytest.fixture
async def empty_db() -> object:
    name = f"dialer_empty_{secrets.token_hex(4)}"
    await _admin_exec(f"CREATE DATABASE {name}")
    yield _dsn_for(name)
    await _admin_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def test_migrates_an_empty_database_and_records_each_file(empty_db: str) -> None:
    files = discover(ROOT / "sql")
    assert files, "sql/ holds the migrations"
    pending = await migrate(empty_db, ROOT / "sql", dry_run=True)
    assert [m.version for m in pending] == [m.version for m in files]
    conn = await asyncpg.connect(empty_db)
    try:
        # dry run changed nothing but the bookkeeping table
        assert await conn.fetchval("SELECT to_regclass('users')") is None
    finally:
        await conn.close()
    applied = await migrate(empty_db, ROOT / "sql")
    assert [m.version for m in applied] == [m.version for m in files]
    conn = await asyncpg.connect(empty_db)
    try:
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations ORDER BY version")
        assert [(r["version"], r["checksum"]) for r in rows] == [(m.version, m.checksum) for m in files]
        for table in ("users", "roles", "organizations", "audit_log", "api_tokens", "mail_settings"):
            assert await conn.fetchval("SELECT to_regclass($1)", table) is not None, table
        assert await conn.fetchval("SELECT count(*) FROM mail_settings") == 1
    finally:
        await conn.close()
    assert await migrate(empty_db, ROOT / "sql") == []


async def test_a_failing_migration_rolls_back_and_names_the_file(empty_db: str, tmp_path: Path) -> None:
    (tmp_path / "001_ok.sql").write_text("CREATE TABLE t1 (id int);")
    (tmp_path / "002_bad.sql").write_text("CREATE TABLE t2 (id int); SELECT * FROM missing_table;")
    with pytest.raises(MigrationError, match=r"002_bad\.sql"):
        await migrate(empty_db, tmp_path)
    conn = await asyncpg.connect(empty_db)
    try:
        assert await conn.fetchval("SELECT to_regclass('t1')") is not None
        assert await conn.fetchval("SELECT to_regclass('t2')") is None  # its transaction rolled back
        assert await conn.fetchval("SELECT max(version) FROM schema_migrations") == 1
    finally:
        await conn.close()


def test_badly_named_or_duplicate_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "1-x.sql").write_text("")
    with pytest.raises(MigrationError, match="NNN_description"):
        discover(tmp_path)
    (tmp_path / "1-x.sql").unlink()
    (tmp_path / "001_a.sql").write_text("")
    (tmp_path / "0001_b.sql").write_text("")
    with pytest.raises(MigrationError, match="used twice"):
        discover(tmp_path)

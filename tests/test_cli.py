from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from dialer.cli import main
from dialer.passwords import verify_password


def _run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, dsn: str, *argv: str) -> int:
    monkeypatch.setenv("DATABASE_URL", dsn)
    monkeypatch.setenv("DIALER_DATA_DIR", str(tmp_path))
    return main(list(argv))


def test_user_create_and_reset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_dsn: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(monkeypatch, tmp_path, db_dsn, "user", "create", "--login", "chief", "--role", "supervisor",
                "--password", "chief-pass-1", "--org", "Филиал", "--email", "chief@example.org") == 0
    assert "chief created with role supervisor" in capsys.readouterr().out
    assert _run(monkeypatch, tmp_path, db_dsn, "user", "create", "--login", "chief") == 1
    assert "exists" in capsys.readouterr().err
    assert _run(monkeypatch, tmp_path, db_dsn, "user", "create", "--login", "chief", "--reset-password",
                "--password", "other-pass-2") == 0
    assert _run(monkeypatch, tmp_path, db_dsn, "user", "create", "--login", "x y", "--password", "12345678") == 1
    assert "login" in capsys.readouterr().err

    async def check() -> None:
        conn = await asyncpg.connect(db_dsn)
        try:
            row = await conn.fetchrow(
                "SELECT u.password_hash, r.preset, o.name FROM users u JOIN roles r ON r.id=u.role_id "
                "JOIN organizations o ON o.id=u.organization_id WHERE u.login='chief'")
        finally:
            await conn.close()
        assert row["preset"] == "supervisor" and row["name"] == "Филиал"
        assert verify_password(row["password_hash"], "other-pass-2")

    asyncio.run(check())


def test_migrate_dry_run_reports_nothing_pending_on_a_migrated_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(monkeypatch, tmp_path, db_dsn, "migrate", "--dry-run") == 0
    assert "up to date" in capsys.readouterr().out


def test_split_roles_need_a_shared_redis(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_dsn: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert _run(monkeypatch, tmp_path, db_dsn, "serve", "--role", "web") == 2
    assert "redis_url" in capsys.readouterr().err


def test_serve_without_database_url_names_the_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DIALER_DATA_DIR", str(tmp_path))
    assert main(["serve"]) == 2
    assert "database_url" in capsys.readouterr().err

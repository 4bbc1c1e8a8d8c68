from __future__ import annotations

import os
from datetime import UTC, datetime, time
from pathlib import Path
from urllib.parse import urlsplit

import aioftp
import asyncpg
import asyncssh
import pytest
from aiohttp.test_utils import TestClient

from dialer.contacts import sources
from dialer.scheduler import Schedule, due_sources, next_run, parse_schedule
from dialer.secretbox import SecretBox
from tests.contacts.helpers import admin, make_list
from tests.webtools import post_form

BOX = SecretBox("k" * 40)
CSV = "Телефон;ФИО\n89161234567;Иван\nbad;Пётр\n".encode("cp1251")
MAPPING = {"Телефон": "mobile", "ФИО": "name"}


def test_next_run() -> None:
    now = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)  # 15:00 in Moscow
    daily = Schedule("daily", time(6, 0))
    assert next_run(daily, None, now) == datetime(2025, 3, 11, 3, 0, tzinfo=UTC)
    assert next_run(daily, datetime(2025, 3, 9, 3, 0, tzinfo=UTC), now) == datetime(
        2025, 3, 10, 3, 0, tzinfo=UTC
    )
    monthly = Schedule("monthly", time(0, 30), day=31)
    assert next_run(monthly, datetime(2025, 1, 31, 0, 0, tzinfo=UTC), now) == datetime(
        2025, 2, 27, 21, 30, tzinfo=UTC
    )
    quarterly = Schedule("quarterly", time(6, 0), day=1)
    assert next_run(quarterly, None, now) == datetime(2025, 4, 1, 3, 0, tzinfo=UTC)
    every = Schedule("every", every_minutes=15)
    assert next_run(every, None, now) == now
    assert next_run(every, now, now) == datetime(2025, 3, 10, 12, 15, tzinfo=UTC)
    assert next_run(Schedule(), None, now) is None
    with pytest.raises(Exception, match="schedule"):
        parse_schedule({"kind": "hourly"})


async def _make(pool: asyncpg.Pool, lid: int, kind: str, **config: object) -> int:
    data = {"name": kind, "kind": kind, "list_id": lid, "mapping": MAPPING, **config}
    async with pool.acquire() as conn:
        return await sources.save_source(conn, data, BOX)


async def _outcome(pool: asyncpg.Pool, sid: int, tmp_path: Path) -> tuple[str, str, int]:
    result = await sources.run_source(pool, sid, tmp_path, BOX)
    async with pool.acquire() as conn:
        count = await conn.fetchval("SELECT count(*) FROM contacts")
    return result["status"], result["message"], count


async def test_postgres_source_detects_fields_and_clears_before_loading(
    pool: asyncpg.Pool, db_dsn: str, tmp_path: Path
) -> None:
    lid = await make_list(pool)
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE crm (phone text, fio text)")
        await conn.execute("INSERT INTO crm VALUES ('89161234567', 'Иван'), ('oops', 'Пётр')")
    url = urlsplit(db_dsn)
    sid = await _make(
        pool,
        lid,
        "postgres",
        host=url.hostname,
        port=url.port,
        user=url.username or "",
        password=url.password or "",
        database=url.path.lstrip("/"),
        query='SELECT phone AS "Телефон", fio AS "ФИО" FROM crm',
        clear_before="on",
    )
    async with pool.acquire() as conn:
        assert await sources.detect_fields(await sources.get_source(conn, sid), BOX) == ["Телефон", "ФИО"]
    assert await _outcome(pool, sid, tmp_path) == ("done", "rows 2, loaded 1, errors 1", 1)
    assert (await _outcome(pool, sid, tmp_path))[2] == 1  # cleared, then loaded again


async def test_folder_source_skips_an_unchanged_file(pool: asyncpg.Pool, tmp_path: Path) -> None:
    lid = await make_list(pool)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "list-1.csv").write_bytes(CSV)
    sid = await _make(pool, lid, "folder", path=str(inbox), pattern="list-*.csv")
    assert (await _outcome(pool, sid, tmp_path))[0] == "done"
    assert (await _outcome(pool, sid, tmp_path))[0] == "skipped"


async def test_sftp_source_against_an_asyncssh_server(pool: asyncpg.Pool, tmp_path: Path) -> None:
    lid = await make_list(pool)
    root = tmp_path / "sftp"
    (root / "out").mkdir(parents=True)
    (root / "out" / "list.csv").write_bytes(CSV)

    class Server(asyncssh.SSHServer):
        def begin_auth(self, username: str) -> bool:
            return True

        def password_auth_supported(self) -> bool:
            return True

        def validate_password(self, username: str, password: str) -> bool:
            return username == "loader" and password == "s3cret"

    key = asyncssh.generate_private_key("ssh-ed25519")
    server = await asyncssh.listen(
        "127.0.0.1",
        0,
        server_host_keys=[key],
        server_factory=Server,
        sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root).encode()),
    )
    port = server.sockets[0].getsockname()[1]
    try:
        sid = await _make(
            pool,
            lid,
            "sftp",
            host="127.0.0.1",
            port=port,
            user="loader",
            password="s3cret",
            path="/out",
            pattern="*.csv",
        )
        assert await _outcome(pool, sid, tmp_path) == ("done", "rows 2, loaded 1, errors 1", 1)
        bad = await _make(
            pool,
            lid,
            "sftp",
            host="127.0.0.1",
            port=port,
            user="loader",
            password="wrong",
            path="/out",
            name="bad",
        )
        status, message, _ = await _outcome(pool, bad, tmp_path)
        assert status == "failed" and "Permission" in message
    finally:
        server.close()


async def test_ftp_source_against_an_aioftp_server(pool: asyncpg.Pool, tmp_path: Path) -> None:
    lid = await make_list(pool)
    root = tmp_path / "ftp"
    (root / "drop").mkdir(parents=True)
    (root / "drop" / "a.csv").write_bytes(CSV)
    server = aioftp.Server([aioftp.User("loader", "s3cret", base_path=root, home_path="/")])
    await server.start("127.0.0.1", 0)
    port = server.server.sockets[0].getsockname()[1]
    try:
        sid = await _make(
            pool,
            lid,
            "ftp",
            host="127.0.0.1",
            port=port,
            user="loader",
            password="s3cret",
            path="/drop",
            pattern="*.csv",
        )
        assert await _outcome(pool, sid, tmp_path) == ("done", "rows 2, loaded 1, errors 1", 1)
    finally:
        await server.close()


@pytest.mark.skipif(not os.environ.get("TEST_MSSQL_URL"), reason="no MSSQL server (set TEST_MSSQL_URL)")
async def test_mssql_source(pool: asyncpg.Pool, tmp_path: Path) -> None:
    url = urlsplit(os.environ["TEST_MSSQL_URL"])
    lid = await make_list(pool)
    sid = await _make(
        pool,
        lid,
        "mssql",
        host=url.hostname,
        port=url.port or 1433,
        user=url.username or "",
        password=url.password or "",
        database=url.path.lstrip("/"),
        query="SELECT '89161234567' AS [Телефон], N'Иван' AS [ФИО]",
    )
    assert await _outcome(pool, sid, tmp_path) == ("done", "rows 1, loaded 1, errors 0", 1)


async def test_schedule_and_pages(client: TestClient, pool: asyncpg.Pool, tmp_path: Path) -> None:
    lid = await make_list(pool)
    csrf = await admin(client, pool)
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "x.csv").write_bytes(CSV)
    r = await post_form(
        client,
        "/contacts/sources/new",
        csrf,
        {
            "name": "Nightly",
            "list_id": str(lid),
            "kind": "folder",
            "path": str(inbox),
            "pattern": "*.csv",
            "mapping": "Телефон = mobile\nФИО = name",
            "schedule_kind": "every",
            "schedule_every": "5",
            "action": "save",
        },
    )
    assert r.status == 302, await r.text()
    async with pool.acquire() as conn:
        sid = await conn.fetchval("SELECT id FROM data_sources")
        assert await due_sources(conn, datetime.now(UTC)) == [sid]
    r = await post_form(client, f"/contacts/sources/{sid}/run", csrf)
    assert r.status == 302
    page = await (await client.get(f"/contacts/sources/{sid}")).text()
    assert "rows 2, loaded 1, errors 1" in page
    async with pool.acquire() as conn:
        assert await due_sources(conn, datetime.now(UTC)) == []
    assert "Nightly" in await (await client.get("/contacts/sources")).text()
    r = await post_form(client, "/contacts/sources/new", csrf, {"name": "", "kind": "sftp", "action": "save"})
    assert r.status == 422

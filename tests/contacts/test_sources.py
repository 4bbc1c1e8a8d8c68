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
from dialer.errors import InvalidInput
from dialer.scheduler import Schedule, due_sources, next_run, parse_schedule
from dialer.secretbox import SecretBox
from tests.contacts.helpers import admin, make_list
from tests.webtools import post_form
from web.context import CTX

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


class _SftpServer(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == "loader" and password == "s3cret"


async def _sftp_server(root: Path, key: asyncssh.SSHKey, port: int = 0) -> asyncssh.SSHAcceptor:
    return await asyncssh.listen(
        "127.0.0.1",
        port,
        server_host_keys=[key],
        server_factory=_SftpServer,
        sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root).encode()),
    )


def _fingerprint(key: asyncssh.SSHKey) -> str:
    return str(key.convert_to_public().get_fingerprint("sha256"))


async def test_sftp_source_against_an_asyncssh_server(pool: asyncpg.Pool, tmp_path: Path) -> None:
    lid = await make_list(pool)
    root = tmp_path / "sftp"
    (root / "out").mkdir(parents=True)
    (root / "out" / "list.csv").write_bytes(CSV)
    key = asyncssh.generate_private_key("ssh-ed25519")
    server = await _sftp_server(root, key)
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
        status, message, count = await _outcome(pool, sid, tmp_path)
        assert (status, count) == ("done", 1)
        assert message == f"rows 2, loaded 1, errors 1; host key recorded: {_fingerprint(key)}"
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
        async with pool.acquire() as conn:  # a failed login records no key
            assert (await sources.get_source(conn, bad))["config"]["host_key"] == ""
    finally:
        server.close()


async def test_sftp_host_key_trust_on_first_use_then_pinned(pool: asyncpg.Pool, tmp_path: Path) -> None:
    lid = await make_list(pool)
    root = tmp_path / "sftp"
    (root / "out").mkdir(parents=True)
    (root / "out" / "list.csv").write_bytes(CSV)
    key = asyncssh.generate_private_key("ssh-ed25519")
    server = await _sftp_server(root, key)
    port = server.sockets[0].getsockname()[1]
    settings = {"host": "127.0.0.1", "port": port, "user": "loader", "password": "s3cret", "path": "/out"}
    try:
        sid = await _make(pool, lid, "sftp", **settings)
        assert (await _outcome(pool, sid, tmp_path))[0] == "done"
        async with pool.acquire() as conn:
            learned = (await sources.get_source(conn, sid))["config"]["host_key"]
        public = key.convert_to_public().export_public_key().decode().split()
        assert learned == f"{public[0]} {public[1]}"
        (root / "out" / "list.csv").write_bytes(CSV + "89161234568;Анна\n".encode("cp1251"))
        assert (await _outcome(pool, sid, tmp_path))[0] == "done"  # the same key: accepted
    finally:
        server.close()
        await server.wait_closed()
    # another server on the same address, with another key: refused before logging in
    impostor_key = asyncssh.generate_private_key("ssh-ed25519")
    server = await _sftp_server(root, impostor_key, port)
    try:
        (root / "out" / "list.csv").write_bytes(CSV + "89161234569;Олег Петрович\n".encode("cp1251"))
        status, message, count = await _outcome(pool, sid, tmp_path)
        assert status == "failed" and count == 3  # nothing loaded from the impostor
        assert message.startswith("host_key: the server's host key " + _fingerprint(impostor_key))
        assert f"does not match the pinned key {_fingerprint(key)}" in message
        async with pool.acquire() as conn:
            src = await sources.get_source(conn, sid)
            assert src["config"]["host_key"] == learned and src["last_status"] == "failed"
        # pinning by fingerprint: the impostor's own fingerprint lets it in, a wrong one does not
        async with pool.acquire() as conn:
            await sources.save_source(
                conn,
                {
                    "name": "sftp",
                    "kind": "sftp",
                    "list_id": lid,
                    "mapping": MAPPING,
                    **settings,
                    "host_key": _fingerprint(impostor_key),
                },
                BOX,
                sid,
            )
        assert (await _outcome(pool, sid, tmp_path))[:2] == ("done", "rows 3, loaded 2, errors 1")
        async with pool.acquire() as conn:
            await sources.save_source(
                conn,
                {
                    "name": "sftp",
                    "kind": "sftp",
                    "list_id": lid,
                    "mapping": MAPPING,
                    **settings,
                    "host_key": "[127.0.0.1]:22 " + key.convert_to_public().export_public_key().decode(),
                },
                BOX,
                sid,
            )
            assert (await sources.get_source(conn, sid))["config"]["host_key"] == learned
        assert (await _outcome(pool, sid, tmp_path))[0] == "failed"
    finally:
        server.close()


def test_host_key_values_are_checked() -> None:
    key = asyncssh.generate_private_key("ssh-ed25519").convert_to_public()
    line = key.export_public_key().decode().strip()
    assert sources.clean_host_key("") == ""
    assert sources.clean_host_key("host.example.com,10.0.0.1 " + line + " comment") == " ".join(
        line.split()[:2]
    )
    fp = key.get_fingerprint("sha256")
    assert sources.clean_host_key(f"  {fp} ") == fp
    for bad in ("SHA256:short", "ssh-ed25519 AAAAnotbase64!!", "just text"):
        with pytest.raises(InvalidInput) as exc:
            sources.clean_host_key(bad)
        assert "host_key" in exc.value.fields


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


async def test_data_sources_api(client: TestClient, pool: asyncpg.Pool, tmp_path: Path) -> None:
    lid = await make_list(pool)
    h = {"X-CSRF-Token": await admin(client, pool)}
    body = {
        "name": "Remote drop",
        "kind": "sftp",
        "list_id": lid,
        "host": "sftp.example.com",
        "user": "loader",
        "password": "s3cret",
        "path": "/out",
        "pattern": "*.csv",
        "mapping": MAPPING,
        "schedule": {"kind": "daily", "at": "05:30"},
    }
    r = await client.post("/api/v1/data-sources", json=body, headers=h)
    assert r.status == 201, await r.text()
    created = await r.json()
    sid = created["id"]
    assert created["password_set"] is True and created["port"] == 22 and created["host_key"] == ""
    assert created["schedule"]["kind"] == "daily" and created["schedule"]["at"] == "05:30"
    got = await (await client.get(f"/api/v1/data-sources/{sid}")).text()
    assert "s3cret" not in got and "password_sealed" not in got and '"password_set": true' in got

    box = client.app[CTX].box

    async def stored_password() -> str:
        async with pool.acquire() as conn:
            src = await sources.get_source(conn, sid)
        return box.open(src["config"]["password_sealed"])

    assert await stored_password() == "s3cret"
    # an update without the password keeps it; a host key given as a known_hosts line is pinned
    key = asyncssh.generate_private_key("ssh-ed25519").convert_to_public()
    line = key.export_public_key().decode().strip()
    update = {k: v for k, v in body.items() if k != "password"} | {"host_key": f"sftp.example.com {line}"}
    r = await client.put(f"/api/v1/data-sources/{sid}", json=update, headers=h)
    assert r.status == 200, await r.text()
    updated = await r.json()
    assert updated["password_set"] is True and updated["host_key"] == " ".join(line.split()[:2])
    assert updated["host_key_fingerprint"] == key.get_fingerprint("sha256")
    assert await stored_password() == "s3cret"  # kept by an update without it
    # bad input: every field named, nothing stored changes
    r = await client.put(
        f"/api/v1/data-sources/{sid}",
        json=body | {"host": "", "path": "", "host_key": "SHA256:nope"},
        headers=h,
    )
    assert r.status == 422
    assert set((await r.json())["fields"]) == {"host", "path", "host_key"}
    r = await client.put(f"/api/v1/data-sources/{sid}", json=body | {"kind": "gopher"}, headers=h)
    assert r.status == 422 and "kind" in (await r.json())["fields"]
    r = await client.put(f"/api/v1/data-sources/{sid}", json=body | {"list_id": 999999}, headers=h)
    assert r.status == 422 and "list_id" in (await r.json())["fields"]
    r = await client.post("/api/v1/data-sources", json=body | {"kind": "postgres", "name": "Q"}, headers=h)
    assert r.status == 422 and "query" in (await r.json())["fields"]
    r = await client.post("/api/v1/data-sources", json=body, headers=h)
    assert r.status == 422 and "name" in (await r.json())["fields"]  # the name is taken
    again = await (await client.get(f"/api/v1/data-sources/{sid}")).json()
    assert again["host"] == "sftp.example.com" and again["host_key"] == updated["host_key"]
    assert await stored_password() == "s3cret"
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM data_sources") == 1
    # a new password replaces the old one; the form shows the pinned key's fingerprint
    r = await client.put(f"/api/v1/data-sources/{sid}", json=update | {"password": "n3w"}, headers=h)
    assert r.status == 200 and await stored_password() == "n3w"
    page = await (await client.get(f"/contacts/sources/{sid}")).text()
    assert key.get_fingerprint("sha256") in page and 'name="host_key"' in page
    assert [s["id"] for s in await (await client.get("/api/v1/data-sources")).json()] == [sid]
    assert await (await client.delete(f"/api/v1/data-sources/{sid}", headers=h)).json() == {"deleted": True}
    assert (await client.get(f"/api/v1/data-sources/{sid}")).status == 404
    assert (await client.delete(f"/api/v1/data-sources/{sid}", headers=h)).status == 404

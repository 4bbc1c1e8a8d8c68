"""Data sources of a contact list (R3.4): a PostgreSQL or MSSQL query, a local folder,
SFTP or FTP. Each run fetches rows or a file into the data folder and loads it through
the same import job as an upload, so validation and per-row results are the same.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import asyncssh

from dialer.contacts import jobs
from dialer.errors import InvalidInput, NotFound
from dialer.scheduler import parse_schedule, schedule_dict
from dialer.secretbox import SecretBox

log = logging.getLogger("dialer.contacts")
KINDS = ("postgres", "mssql", "folder", "sftp", "ftp")
DEFAULT_PORTS = {"postgres": 5432, "mssql": 1433, "sftp": 22, "ftp": 21}
CONFIG_KEYS = ("host", "port", "user", "database", "query", "path", "pattern")


def clean_source(data: dict[str, Any], box: SecretBox, old: dict[str, Any] | None = None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    kind = str(data.get("kind") or "")
    if not name:
        errors["name"] = "required"
    if kind not in KINDS:
        errors["kind"] = "choose postgres, mssql, folder, sftp or ftp"
    config: dict[str, Any] = {k: str(data.get(k) or "").strip() for k in CONFIG_KEYS}
    try:
        config["port"] = int(config["port"] or DEFAULT_PORTS.get(kind, 0))
    except ValueError:
        errors["port"] = "a port number"
    if kind in ("postgres", "mssql") and not config["query"]:
        errors["query"] = "required"
    if kind in ("postgres", "mssql", "sftp", "ftp") and not config["host"]:
        errors["host"] = "required"
    if kind in ("folder", "sftp", "ftp") and not config["path"]:
        errors["path"] = "required"
    config["pattern"] = config["pattern"] or "*"
    # The SFTP server's host key: absent from an update keeps the stored (or learned) one;
    # empty means "trust the key seen at the first successful connection".
    host_key = data.get("host_key")
    if host_key is None:
        host_key = ((old or {}).get("config") or {}).get("host_key", "")
    try:
        config["host_key"] = clean_host_key(str(host_key)) if kind == "sftp" else ""
    except InvalidInput as exc:
        errors.update(exc.fields)
    password = str(data.get("password") or "")
    old_sealed = ((old or {}).get("config") or {}).get("password_sealed", "")
    config["password_sealed"] = box.seal(password) if password else old_sealed
    mapping = data.get("mapping") or {}
    if isinstance(mapping, str):
        mapping = parse_mapping_text(mapping)
    try:
        list_id = int(data.get("list_id") or 0)
    except ValueError:
        list_id = 0
    if not list_id:
        errors["list_id"] = "choose a list"
    schedule = schedule_dict(
        parse_schedule(
            data.get("schedule")
            if isinstance(data.get("schedule"), dict)
            else {
                "kind": data.get("schedule_kind"),
                "at": data.get("schedule_at"),
                "day": data.get("schedule_day"),
                "every_minutes": data.get("schedule_every"),
            }
        )
    )
    if errors:
        raise InvalidInput(errors)
    flag = ("on", "true", "1", True)
    return {
        "name": name,
        "kind": kind,
        "list_id": list_id,
        "config": config,
        "mapping": mapping,
        "clear_before": data.get("clear_before") in flag,
        "dedupe": data.get("dedupe") in flag,
        "schedule": schedule,
    }


_FINGERPRINT = re.compile(r"^(SHA256:[A-Za-z0-9+/]{43}=?|MD5:(?:[0-9a-f]{2}:){15}[0-9a-f]{2})$")
HOST_KEY_HELP = "a known_hosts line (host ssh-ed25519 AAAA...), a public key, or a fingerprint (SHA256:...)"


def clean_host_key(text: str) -> str:
    """A pinned host key as "algorithm base64", or a fingerprint as "SHA256:..."; "" for none."""
    text = text.strip()
    if not text:
        return ""
    if _FINGERPRINT.match(text):
        return text
    if text.upper().startswith(("SHA256:", "MD5:")):
        raise InvalidInput({"host_key": "a fingerprint looks like SHA256: and 43 base64 characters"})
    words = text.split()
    for i, word in enumerate(words[:-1]):  # known_hosts: [markers] hosts algorithm key [comment]
        if word.startswith(("ssh-", "ecdsa-", "sk-")):
            try:
                key = asyncssh.import_public_key(f"{word} {words[i + 1]}")
            except (asyncssh.KeyImportError, ValueError):
                break
            return key_line(key)
    raise InvalidInput({"host_key": HOST_KEY_HELP})


def key_line(key: Any) -> str:
    """An SSH public key as "algorithm base64" (no comment)."""
    return " ".join(key.export_public_key("openssh").decode().split()[:2])


def key_fingerprint(host_key: str) -> str:
    """The SHA256 fingerprint of a stored host key (a stored fingerprint is itself)."""
    if not host_key or host_key.startswith(("SHA256:", "MD5:")):
        return host_key
    return str(asyncssh.import_public_key(host_key).get_fingerprint("sha256"))


def _key_matches(pinned: str, key: Any) -> bool:
    if pinned.startswith("MD5:"):
        return bool(key.get_fingerprint("md5") == pinned)
    if pinned.startswith("SHA256:"):
        return bool(key.get_fingerprint("sha256") == pinned.rstrip("="))
    return key_line(key) == pinned


def parse_mapping_text(text: str) -> dict[str, str]:
    """ "column = field" lines (the form's way of writing a mapping)."""
    out = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if "=" not in line:
            raise InvalidInput({"mapping": f"line {n}: write column = field"})
        col, field = line.rsplit("=", 1)
        out[col.strip()] = field.strip()
    return out


async def save_source(
    conn: asyncpg.Connection, data: dict[str, Any], box: SecretBox, source_id: int | None = None
) -> int:
    old = await get_source(conn, source_id) if source_id is not None else None
    c = clean_source(data, box, old)
    args = (
        c["name"],
        c["kind"],
        c["list_id"],
        c["config"],
        c["mapping"],
        c["clear_before"],
        c["dedupe"],
        c["schedule"],
    )
    try:
        if source_id is None:
            new_id: int = await conn.fetchval(
                "INSERT INTO data_sources (name, kind, list_id, config, mapping, clear_before, dedupe, schedule) "
                "VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
                *args,
            )
            return new_id
        await conn.execute(
            "UPDATE data_sources SET name=$2, kind=$3, list_id=$4, config=$5, mapping=$6, clear_before=$7, "
            "dedupe=$8, schedule=$9 WHERE id=$1",
            source_id,
            *args,
        )
        return source_id
    except asyncpg.UniqueViolationError:
        raise InvalidInput({"name": "a source with this name exists"}) from None
    except asyncpg.ForeignKeyViolationError:
        raise InvalidInput({"list_id": "choose a list"}) from None


async def get_source(conn: asyncpg.Connection, source_id: int) -> dict[str, Any]:
    row = await conn.fetchrow(
        "SELECT s.*, l.organization_id FROM data_sources s JOIN contact_lists l ON l.id = s.list_id WHERE s.id=$1",
        source_id,
    )
    if row is None:
        raise NotFound(f"data source {source_id}")
    return dict(row)


def _password(source: dict[str, Any], box: SecretBox) -> str:
    sealed = source["config"].get("password_sealed") or ""
    return box.open(sealed) if sealed else ""


def _write_jsonl(path: Path, header: list[str], rows: Iterator[tuple[Any, ...]] | list[Any]) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(header, ensure_ascii=False) + "\n")
        for row in rows:
            fh.write(json.dumps(dict(zip(header, row, strict=False)), ensure_ascii=False, default=str) + "\n")
            n += 1
    return n


def _prepend_header(target: Path, header: list[str]) -> None:
    text = target.read_text(encoding="utf-8")
    target.write_text(json.dumps(header, ensure_ascii=False) + text, encoding="utf-8")


def _local_entries(base: Path) -> list[tuple[str, int, float]]:
    if not base.is_dir():
        raise InvalidInput({"path": f"no folder {base}"})
    return [(p.name, p.stat().st_size, p.stat().st_mtime) for p in base.iterdir() if p.is_file()]


async def _postgres(source: dict[str, Any], box: SecretBox, target: Path | None) -> list[str]:
    cfg = source["config"]
    conn = await asyncpg.connect(
        host=cfg["host"],
        port=cfg["port"],
        user=cfg["user"] or None,
        password=_password(source, box) or None,
        database=cfg["database"] or "postgres",
        timeout=15,
    )
    try:
        query = cfg["query"].rstrip().rstrip(";")
        if target is None:
            stmt = await conn.prepare(query)
            return [a.name for a in stmt.get_attributes()]
        async with conn.transaction(readonly=True):
            cursor = conn.cursor(query)
            header: list[str] = []
            with target.open("w", encoding="utf-8") as fh:
                fh.write("\n")  # the header line is written once the first row names the columns
                async for rec in cursor:
                    if not header:
                        header = list(rec.keys())
                    fh.write(json.dumps(dict(rec), ensure_ascii=False, default=str) + "\n")
            if not header:
                stmt = await conn.prepare(query)
                header = [a.name for a in stmt.get_attributes()]
            await asyncio.to_thread(_prepend_header, target, header)
            return header
    finally:
        await conn.close()


def _mssql(source: dict[str, Any], password: str, target: Path | None) -> list[str]:
    import pymssql

    cfg = source["config"]
    with pymssql.connect(
        server=cfg["host"],
        port=str(cfg["port"]),
        user=cfg["user"],
        password=password,
        database=cfg["database"] or "postgres",
        login_timeout=15,
    ) as conn:
        cur = conn.cursor()
        cur.execute(cfg["query"])
        header = [d[0] for d in cur.description or ()]
        if target is not None:
            _write_jsonl(target, header, iter(cur.fetchone, None))
        return header


def _pick(names: list[tuple[str, int, float]], pattern: str) -> tuple[str, int, float] | None:
    """The newest file matching the pattern (name, size, mtime)."""
    found = [n for n in names if fnmatch.fnmatch(n[0], pattern)]
    return max(found, key=lambda n: (n[2], n[0])) if found else None


async def _fetch_file(source: dict[str, Any], box: SecretBox, folder: Path) -> tuple[Path, str] | None:
    cfg = source["config"]
    kind = source["kind"]
    if kind == "folder":
        base = Path(cfg["path"])
        entries = await asyncio.to_thread(_local_entries, base)
        chosen = _pick(entries, cfg["pattern"])
        if chosen is None:
            return None
        return base / chosen[0], f"{chosen[0]}:{chosen[1]}:{chosen[2]}"
    target = folder / f"source-{source['id']}-{datetime.now(UTC):%Y%m%d%H%M%S}"
    if kind == "sftp":
        pinned = str(cfg.get("host_key") or "")
        checker = _HostKeyCheck(pinned)
        # The key is checked before the password is sent. A pinned full key also makes the
        # client ask for the key's own algorithm first, so a server with several keys
        # offers that one.
        trusted = [asyncssh.import_public_key(pinned)] if pinned and not _FINGERPRINT.match(pinned) else []
        try:
            ssh_conn = await asyncssh.connect(
                cfg["host"],
                port=cfg["port"],
                username=cfg["user"],
                password=_password(source, box),
                known_hosts=(trusted, [], []),
                client_factory=lambda: checker,
            )
        except asyncssh.HostKeyNotVerifiable:
            seen = checker.seen.get_fingerprint("sha256") if checker.seen is not None else "unknown"
            raise InvalidInput(
                {
                    "host_key": f"the server's host key {seen} does not match the pinned key "
                    f"{key_fingerprint(pinned)}; if the server's key was changed on purpose, "
                    "put the new key in the source's host key"
                }
            ) from None
        if not pinned:  # trust on first use: the run records the key seen now
            server_key = ssh_conn.get_server_host_key()
            if server_key is not None:
                source["learned_host_key"] = key_line(server_key)
        async with ssh_conn as ssh, ssh.start_sftp_client() as sftp:
            entries = [
                (str(e.filename), e.attrs.size or 0, float(e.attrs.mtime or 0))
                for e in await sftp.readdir(cfg["path"])
                if e.filename not in (".", "..")
            ]
            chosen = _pick(entries, cfg["pattern"])
            if chosen is None:
                return None
            local = target.with_name(target.name + "-" + chosen[0])
            await sftp.get(f"{cfg['path'].rstrip('/')}/{chosen[0]}", str(local))
            return local, f"{chosen[0]}:{chosen[1]}:{chosen[2]}"
    import aioftp

    async with aioftp.Client.context(
        cfg["host"], cfg["port"], cfg["user"] or "anonymous", _password(source, box) or "anon@"
    ) as ftp:
        entries = []
        for path, info in await ftp.list(cfg["path"]):
            if info.get("type") == "file":
                entries.append(
                    (path.name, int(info.get("size", 0)), float(str(info.get("modify", "0"))[:14] or 0))
                )
        chosen = _pick(entries, cfg["pattern"])
        if chosen is None:
            return None
        local = target.with_name(target.name + "-" + chosen[0])
        await ftp.download(f"{cfg['path'].rstrip('/')}/{chosen[0]}", str(local), write_into=True)
        return local, f"{chosen[0]}:{chosen[1]}:{chosen[2]}"


class _HostKeyCheck(asyncssh.SSHClient):
    """Accepts the server's key if it matches the pinned one (any key when none is pinned)."""

    def __init__(self, pinned: str) -> None:
        self.pinned = pinned
        self.seen: Any = None

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        self.seen = key
        return not self.pinned or _key_matches(self.pinned, key)


async def detect_fields(source: dict[str, Any], box: SecretBox) -> list[str]:
    """Column names of the source's query ("detect fields")."""
    if source["kind"] == "postgres":
        return await _postgres(source, box, None)
    if source["kind"] == "mssql":
        return await asyncio.to_thread(_mssql, source, _password(source, box), None)
    raise InvalidInput({"kind": "fields are detected for database queries"})


async def run_source(pool: asyncpg.Pool, source_id: int, data_dir: Path, box: SecretBox) -> dict[str, Any]:
    """One run: fetch, load through an import job, record the outcome on the source."""
    folder = Path(data_dir) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    async with pool.acquire() as conn:
        source = await get_source(conn, source_id)
    status, message, signature = "done", "", source["last_file"]
    job_id: int | None = None
    path: Path | None
    try:
        if source["kind"] in ("postgres", "mssql"):
            path = folder / f"source-{source_id}-{datetime.now(UTC):%Y%m%d%H%M%S%f}.jsonl"
            if source["kind"] == "postgres":
                await _postgres(source, box, path)
            else:
                await asyncio.to_thread(_mssql, source, _password(source, box), path)
            name = f"{source['kind']} query"
        else:
            fetched = await _fetch_file(source, box, folder)
            if fetched is None:
                raise InvalidInput({"pattern": "no file matches the pattern"})
            path, new_signature = fetched
            if new_signature == source["last_file"]:
                status, message = "skipped", "the file has not changed since the last run"
                path = None
            signature, name = new_signature, path.name if path else ""
        if path is not None:
            options = {
                "mapping": source["mapping"],
                "dedupe": source["dedupe"],
                "clear_before": source["clear_before"],
            }
            async with pool.acquire() as conn:
                job_id = await jobs.create_job(
                    conn,
                    target="contacts",
                    file_path=path,
                    source_name=name,
                    list_id=source["list_id"],
                    options=options,
                    status="queued",
                )
            await jobs.run_job(pool, job_id)
            async with pool.acquire() as conn:
                job = await jobs.get_job(conn, job_id)
            status = job["status"]
            message = f"rows {job['rows_done']}, loaded {job['rows_ok']}, errors {job['rows_failed']}"
            if job["message"]:
                message += f"; {job['message']}"
    except (InvalidInput, NotFound) as exc:
        status, message = "failed", str(exc)
    except Exception as exc:  # a remote server's failure is the run's outcome, not a crash
        log.warning("data source %s failed: %s", source_id, exc)
        status, message = "failed", f"{exc.__class__.__name__}: {exc}"
    async with pool.acquire() as conn:
        if source.get("learned_host_key"):
            # Only while still empty: a key an administrator pinned meanwhile wins.
            await conn.execute(
                "UPDATE data_sources SET config = jsonb_set(config, '{host_key}', to_jsonb($2::text)) "
                "WHERE id=$1 AND coalesce(config->>'host_key', '') = ''",
                source_id,
                source["learned_host_key"],
            )
            message = (message + "; " if message else "") + (
                f"host key recorded: {key_fingerprint(source['learned_host_key'])}"
            )
        await conn.execute(
            "UPDATE data_sources SET last_run_at=now(), last_status=$2, last_message=$3, "
            "last_job_id=coalesce($4, last_job_id), last_file=$5 WHERE id=$1",
            source_id,
            status,
            message[:2000],
            job_id,
            signature or "",
        )
    return {"status": status, "message": message, "job_id": job_id}


def public_source(src: dict[str, Any]) -> dict[str, Any]:
    """A source as the API shows it: connection settings flat, never the password (only
    whether one is set), the host key with its fingerprint."""
    cfg = dict(src.get("config") or {})
    sealed = cfg.pop("password_sealed", "")
    host_key = str(cfg.get("host_key") or "")
    try:
        fingerprint = key_fingerprint(host_key)
    except (asyncssh.KeyImportError, ValueError):
        fingerprint = ""
    keys = (
        "id",
        "name",
        "kind",
        "list_id",
        "organization_id",
        "mapping",
        "clear_before",
        "dedupe",
        "schedule",
        "last_run_at",
        "last_status",
        "last_message",
        "last_job_id",
        "last_file",
        "created_at",
    )
    out = {k: src.get(k) for k in keys}
    out.update({k: cfg.get(k, "") for k in CONFIG_KEYS})
    out.update({"host_key": host_key, "host_key_fingerprint": fingerprint, "password_set": bool(sealed)})
    return out


async def delete_source(conn: asyncpg.Connection, source_id: int) -> None:
    if await conn.fetchval("DELETE FROM data_sources WHERE id=$1 RETURNING id", source_id) is None:
        raise NotFound(f"data source {source_id}")

"""Reference objects described once: fields, validation, storage, "in use by" checks.

Campaign configuration has many small objects (skills, codes, connectors, queues ...)
that differ only in their fields. Each is a ``RefKind``; the portal pages, the REST API
and the delete refusals are driven by it, so a rule such as "a used object is not
deleted" is written once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import asyncpg

from dialer.errors import Conflict, InvalidInput, NotFound

log = logging.getLogger("dialer.campaigns")

FieldKind = Literal[
    "text",
    "password",
    "textarea",
    "int",
    "decimal",
    "bool",
    "choice",
    "ref",
    "multi",
    "time",
    "lines",
    "json",
]
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?$")
_SAFE_SQL = re.compile(r"^[a-z_]+$")

Parser = Callable[[Any], Any]  # raises ValueError with the message shown beside the field
Formatter = Callable[[Any], str]


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # English message id
    kind: FieldKind = "text"
    required: bool = False
    lo: float | None = None
    hi: float | None = None
    max_len: int = 200
    choices: tuple[tuple[str, str], ...] = ()
    ref: str = ""  # table whose rows are the options of ref / multi fields
    ref_label: str = "name"
    help: str = ""
    pattern: str = ""  # a text field's whole value must match it
    pattern_message: str = "has a wrong format"
    column: bool = True  # False: stored by the kind's save_extra hook (child rows)
    parse: Parser | None = None  # lines / json fields: text or API value -> clean value
    show: Formatter | None = None  # lines / json fields: clean value -> text for the form
    editable: Callable[[Mapping[str, Any]], bool] | None = None  # e.g. a system code's key


@dataclass(frozen=True)
class Usage:
    """Names of objects using the one being deleted; ``sql`` takes the id as $1."""

    label: str
    sql: str


class InUse(Conflict):
    """Refused deletion; ``found`` lists (what uses it, their names) so a view can translate the labels."""

    def __init__(self, found: list[tuple[str, str]]) -> None:
        self.found = found
        super().__init__("in use by " + "; ".join(f"{label}: {names}" for label, names in found))


SaveExtra = Callable[[asyncpg.Connection, int, dict[str, Any]], Awaitable[None]]
LoadExtra = Callable[[asyncpg.Connection, int], Awaitable[dict[str, Any]]]
Check = Callable[[dict[str, Any]], dict[str, str]]


@dataclass(frozen=True)
class RefKind:
    key: str  # also the access-catalog object key
    table: str
    title: str  # plural, English message id
    singular: str
    fields: tuple[Field, ...]
    usages: tuple[Usage, ...] = ()
    org_column: str | None = None  # organization scoping (R1.5)
    protected: str = ""  # SQL condition on the row that forbids deletion
    protected_message: str = ""
    check: Check | None = None
    save_extra: SaveExtra | None = None
    load_extra: LoadExtra | None = None
    order_by: str = "name"

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def __post_init__(self) -> None:
        for ident in (self.table, self.order_by, *(f.name for f in self.fields if f.column)):
            if not _SAFE_SQL.match(ident):
                raise ValueError(f"{self.key}: {ident!r} is not a plain identifier")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _clean_one(f: Field, value: Any) -> Any:
    """One field's clean value; raises ValueError with the message for the form."""
    if f.kind == "bool":
        return value in (True, "on", "true", "1", 1, "yes")
    if f.kind in ("multi",):
        items = value if isinstance(value, list | tuple) else ([] if _blank(value) else [value])
        try:
            return sorted({int(v) for v in items})
        except (TypeError, ValueError):
            raise ValueError("must be a list of ids") from None
    if f.kind in ("lines", "json"):
        assert f.parse is not None, f.name
        return f.parse(value if value is not None else "")
    if _blank(value):
        if f.required:
            raise ValueError("required")
        return "" if f.kind in ("text", "textarea", "password") else None
    if f.kind in ("text", "textarea", "password"):
        text = str(value).strip()
        if len(text) > f.max_len:
            raise ValueError("too long")
        if f.pattern and not re.fullmatch(f.pattern, text):
            raise ValueError(f.pattern_message)
        return text
    if f.kind in ("int", "ref"):
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError("must be a whole number") from None
        if (f.lo is not None and number < f.lo) or (f.hi is not None and number > f.hi):
            raise ValueError("out of range")
        return number
    if f.kind == "decimal":
        try:
            dec = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            raise ValueError("must be a number") from None
        if (
            not dec.is_finite()
            or (f.lo is not None and dec < Decimal(str(f.lo)))
            or (f.hi is not None and dec > Decimal(str(f.hi)))
        ):
            raise ValueError("out of range")
        return dec
    if f.kind == "time":
        if isinstance(value, time):
            return value
        match = _TIME.match(str(value).strip())
        if not match:
            raise ValueError("use the HH:MM format")
        return time(int(match.group(1)), int(match.group(2)))
    if f.kind == "choice":
        text = str(value).strip()
        if text not in {v for v, _ in f.choices}:
            raise ValueError("not one of the choices")
        return text
    raise AssertionError(f.kind)


def clean(kind: RefKind, data: Mapping[str, Any], current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Validated values of every field; InvalidInput names each bad field."""
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in kind.fields:
        if current is not None and f.editable is not None and not f.editable(current):
            out[f.name] = current.get(f.name)
            continue
        if current is not None and f.kind == "password" and _blank(data.get(f.name)):
            out[f.name] = current.get(f.name, "")  # the form never shows a secret, so empty keeps it
            continue
        try:
            out[f.name] = _clean_one(f, data.get(f.name))
        except ValueError as exc:
            errors[f.name] = str(exc)
    if not errors and kind.check is not None:
        errors.update(kind.check(out))
    if errors:
        raise InvalidInput(errors)
    return out


def _unique_field(kind: RefKind, constraint: str | None) -> str:
    prefix = kind.table + "_"
    for f in kind.fields:
        if constraint == f"{prefix}{f.name}_key":
            return f.name
    return "__all__"


async def save(
    conn: asyncpg.Connection, kind: RefKind, data: Mapping[str, Any], obj_id: int | None = None
) -> int:
    current = await get(conn, kind, obj_id) if obj_id is not None else None
    values = clean(kind, data, current)
    cols = [f.name for f in kind.fields if f.column]
    args = [values[c] for c in cols]
    try:
        async with conn.transaction():
            if obj_id is None:
                marks = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
                new_id: int = await conn.fetchval(
                    f"INSERT INTO {kind.table} ({', '.join(cols)}) VALUES ({marks}) RETURNING id", *args
                )
                obj_id = new_id
            else:
                sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(cols, start=2))
                await conn.execute(f"UPDATE {kind.table} SET {sets} WHERE id = $1", obj_id, *args)
            if kind.save_extra is not None:
                await kind.save_extra(conn, obj_id, values)
    except asyncpg.UniqueViolationError as exc:
        field = _unique_field(kind, exc.constraint_name)
        raise InvalidInput({field: "already exists"}) from None
    except asyncpg.ForeignKeyViolationError as exc:
        log.info("%s %s: reference refused: %s", kind.key, obj_id, exc.detail)
        raise InvalidInput({"__all__": "a referenced object does not exist"}) from None
    except asyncpg.CheckViolationError as exc:
        log.info("%s %s: check refused: %s", kind.key, obj_id, exc.constraint_name)
        raise InvalidInput({"__all__": "the values contradict each other"}) from None
    log.info("%s %s saved", kind.key, obj_id)
    return obj_id


async def get(conn: asyncpg.Connection, kind: RefKind, obj_id: int) -> dict[str, Any]:
    row = await conn.fetchrow(f"SELECT * FROM {kind.table} WHERE id = $1", obj_id)
    if row is None:
        raise NotFound(f"{kind.key} {obj_id}")
    out = dict(row)
    if kind.load_extra is not None:
        out.update(await kind.load_extra(conn, obj_id))
    return out


# Singular labels of tables that refer to campaign objects, for "in use by strategy: X".
TABLE_LABELS = {"strategies": "strategy", "campaigns": "campaign", "operators": "operator", "queues": "queue"}

_REFERRERS = """
    SELECT c.conrelid::regclass::text AS tbl, a.attname AS col,
           EXISTS (SELECT 1 FROM pg_attribute n WHERE n.attrelid = c.conrelid AND n.attname = 'name'
                   AND NOT n.attisdropped) AS named
    FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    WHERE c.contype = 'f' AND c.confrelid = $1::regclass AND cardinality(c.conkey) = 1
      AND c.confdeltype IN ('r', 'a')
    ORDER BY 1, 2
"""


async def usages(conn: asyncpg.Connection, kind: RefKind, obj_id: int) -> list[tuple[str, str]]:
    """(what, "name, name") for every kind of object using this one.

    Foreign keys that forbid deletion are found in the catalog, so a table added later
    (campaigns) is named without this module knowing it; references the catalog cannot
    see (rule chains in JSON, membership tables) are the kind's own ``usages``.
    """
    queries = [(u.label, u.sql) for u in kind.usages]
    for ref in await conn.fetch(_REFERRERS, kind.table):
        if ref["named"] and _SAFE_SQL.match(ref["col"]) and re.fullmatch(r"[a-z_.]+", ref["tbl"]):
            label = TABLE_LABELS.get(ref["tbl"], ref["tbl"])
            queries.append((label, f"SELECT name FROM {ref['tbl']} WHERE {ref['col']} = $1 ORDER BY 1"))
    found: dict[str, list[str]] = {}
    for label, sql in queries:
        for row in await conn.fetch(sql, obj_id):
            names = found.setdefault(label, [])
            if row[0] not in names:
                names.append(row[0])
    return [
        (label, ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")) for label, names in found.items()
    ]


async def delete(conn: asyncpg.Connection, kind: RefKind, obj_id: int) -> None:
    row = await get(conn, kind, obj_id)
    if kind.protected and await conn.fetchval(
        f"SELECT {kind.protected} FROM {kind.table} WHERE id = $1", obj_id
    ):
        raise Conflict(kind.protected_message or "this object cannot be deleted")
    used = await usages(conn, kind, obj_id)
    if used:
        raise InUse(used)
    try:
        await conn.execute(f"DELETE FROM {kind.table} WHERE id = $1", obj_id)
    except asyncpg.ForeignKeyViolationError as exc:
        raise Conflict(f"in use: {exc.detail or exc}") from None
    log.info("%s %s (%s) deleted", kind.key, obj_id, row.get(kind.order_by))


async def options(conn: asyncpg.Connection, f: Field) -> list[tuple[str, str]]:
    """(value, label) pairs of a ref / multi field; the choices of a choice field."""
    if f.kind in ("ref", "multi"):
        if not (_SAFE_SQL.match(f.ref) and _SAFE_SQL.match(f.ref_label)):
            raise ValueError(f.ref)
        rows = await conn.fetch(f"SELECT id, {f.ref_label} AS label FROM {f.ref} ORDER BY 2")
        return [(str(r["id"]), str(r["label"])) for r in rows]
    return list(f.choices)


def form_values(kind: RefKind, row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row as the form shows it (times as HH:MM, child rows as text)."""
    out = dict(row)
    for f in kind.fields:
        value = row.get(f.name)
        if f.kind == "password":
            out[f.name] = ""
        elif f.kind == "time" and isinstance(value, time):
            out[f.name] = value.strftime("%H:%M")
        elif f.kind in ("lines", "json") and f.show is not None and not isinstance(value, str):
            out[f.name] = f.show(value)
        elif value is None:
            out[f.name] = ""
    return out

"""The portal's reusable table: server-side sort, search and pagination (R1.8).

A view describes its columns once; the query is built from a whitelist of column
expressions, so neither the sort key nor the search reaches SQL as text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

PAGE_SIZES = (10, 25, 50, 100)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    sql: str  # expression in the table's FROM clause
    sortable: bool = True
    searchable: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    from_sql: str  # "FROM users u JOIN ..." (joins included)
    default_sort: str
    default_desc: bool = False
    select_extra: tuple[str, ...] = ()  # more expressions the row template needs ("u.id AS id")
    tiebreak: str = ""  # a unique expression, so pages do not overlap when sort values repeat

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


@dataclass(frozen=True)
class TableParams:
    sort: str
    desc: bool
    q: str
    page: int
    per_page: int
    extra: tuple[tuple[str, str], ...] = ()  # the view's own filters, kept in sort and page links

    @staticmethod
    def parse(spec: TableSpec, query: Mapping[str, str]) -> TableParams:
        col = spec.column(query.get("sort", ""))
        sort = col.key if col is not None and col.sortable else spec.default_sort
        direction = query.get("dir")
        desc = spec.default_desc if direction not in ("asc", "desc") else direction == "desc"
        q = query.get("q", "").strip()[:200]
        try:
            page = max(1, int(query.get("page", "1")))
        except ValueError:
            page = 1
        try:
            per_page = int(query.get("per", "25"))
        except ValueError:
            per_page = 25
        if per_page not in PAGE_SIZES:
            per_page = 25
        own = {"sort", "dir", "q", "page", "per"}
        extra = tuple((k, v) for k, v in query.items() if k not in own and v != "")
        return TableParams(sort, desc, q, page, per_page, extra)


@dataclass(frozen=True)
class TablePage:
    spec: TableSpec
    params: TableParams
    rows: list[dict[str, Any]]
    total: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pages", max(1, math.ceil(self.total / self.params.per_page)))

    def link(self, **changes: Any) -> str:
        """Query string for this table with some parameters changed (sort, page ...)."""
        from urllib.parse import urlencode

        base: dict[str, Any] = dict(self.params.extra)
        base |= {
            "sort": self.params.sort,
            "dir": "desc" if self.params.desc else "asc",
            "q": self.params.q,
            "page": self.params.page,
            "per": self.params.per_page,
        }
        base.update(changes)
        return "?" + urlencode({k: v for k, v in base.items() if v not in ("", None)})

    def sort_link(self, key: str) -> str:
        desc = not self.params.desc if key == self.params.sort else False
        return self.link(sort=key, dir="desc" if desc else "asc", page=1)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def fetch_page(
    conn: asyncpg.Connection,
    spec: TableSpec,
    params: TableParams,
    where: Sequence[str] = (),
    args: Sequence[Any] = (),
) -> TablePage:
    """Rows of one page plus the total; ``where`` conditions use ``$1..$n`` of ``args``."""
    conds = list(where)
    values = list(args)
    if params.q:
        searchable = [c for c in spec.columns if c.searchable]
        if searchable:
            values.append("%" + _escape_like(params.q) + "%")
            n = len(values)
            conds.append("(" + " OR ".join(f"({c.sql})::text ILIKE ${n}" for c in searchable) + ")")
    where_sql = (" WHERE " + " AND ".join(conds)) if conds else ""
    total = await conn.fetchval(f"SELECT count(*) {spec.from_sql}{where_sql}", *values)
    col = spec.column(params.sort) or spec.columns[0]
    direction = "DESC" if params.desc else "ASC"
    select = ", ".join([f"{c.sql} AS {c.key}" for c in spec.columns] + list(spec.select_extra))
    pages = max(1, math.ceil(total / params.per_page))
    page = min(params.page, pages)
    if page != params.page:
        params = TableParams(params.sort, params.desc, params.q, page, params.per_page, params.extra)
    sql = (
        f"SELECT {select} {spec.from_sql}{where_sql} ORDER BY {col.sql} {direction} NULLS LAST"
        f"{', ' + spec.tiebreak if spec.tiebreak else ''} "
        f"LIMIT {params.per_page} OFFSET {(page - 1) * params.per_page}"
    )
    rows = [dict(r) for r in await conn.fetch(sql, *values)]
    return TablePage(spec, params, rows, total)

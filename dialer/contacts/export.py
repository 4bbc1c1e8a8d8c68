"""Export (R3.3) to CSV and XLSX from a server-side cursor: memory stays flat.

CSV goes straight to the response in chunks; XLSX is written by xlsxwriter in
``constant_memory`` mode to a temporary file and then streamed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg

CHUNK_ROWS = 20_000
Transform = Callable[[dict[str, Any]], dict[str, Any]]


async def export_rows(
    conn: asyncpg.Connection, list_id: int, columns: list[str], transform: Transform
) -> AsyncIterator[list[list[Any]]]:
    """Chunks of rows (id first, then ``columns``); ``transform`` is the field policy.

    The server picks the exported attributes out of ``attrs`` (``->>``), so Python never
    parses whole JSON documents; the policy sees just those attributes, which is all it
    can affect in the output since it decides field by field.
    """
    picks = "".join(f", attrs->>${i}::text" for i in range(2, len(columns) + 2))
    width = len(columns)
    async with conn.transaction():  # a cursor lives inside a transaction
        cursor = await conn.cursor(
            f"SELECT id{picks} FROM contacts WHERE list_id=$1 ORDER BY id", list_id, *columns
        )
        while True:
            records = await cursor.fetch(CHUNK_ROWS)
            if not records:
                return
            chunk = []
            for rec in records:
                attrs = transform({columns[i]: v for i in range(width) if (v := rec[i + 1]) is not None})
                chunk.append([rec[0], *[attrs.get(c, "") for c in columns]])
            yield chunk


def csv_chunk(rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=";").writerows(rows)
    return buf.getvalue().encode("utf-8")


class XlsxWriter:
    """Rows appended in order to one sheet of a workbook in ``path``."""

    def __init__(self, path: Path, header: list[str]) -> None:
        import xlsxwriter

        self.book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        self.sheet = self.book.add_worksheet("contacts")
        self.row = 0
        self.add([header])

    def add(self, rows: list[list[Any]]) -> None:
        for values in rows:
            for col, value in enumerate(values):
                self.sheet.write_string(self.row, col, "" if value is None else str(value))
            self.row += 1

    def close(self) -> None:
        self.book.close()

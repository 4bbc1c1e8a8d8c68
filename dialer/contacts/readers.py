"""Reading import files row by row: CSV (encoding and delimiter detected), XLS, XLSX.

CSV is streamed, so memory does not grow with the file. Spreadsheets are read with
python-calamine, which returns cached formula results and leaves merged cells empty
except the first.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SAMPLE_BYTES = 256 * 1024
SPREADSHEET_SUFFIXES = (".xlsx", ".xls", ".xlsm", ".xlsb", ".ods")


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message says why, for the user."""


@dataclass(frozen=True)
class TableFile:
    header: tuple[str, ...]
    rows: Iterator[list[Any]]  # data rows; the first data row is file row 2
    total_estimate: int | None
    notes: tuple[str, ...] = ()


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise FileProblem(
            "cannot detect the encoding: the file is binary (save it as CSV in UTF-8 or Windows-1251)"
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)  # a cut multi-byte character at the end is fine
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = sample.decode("cp1251")
    except UnicodeDecodeError:
        raise FileProblem("cannot detect the encoding: expected UTF-8 or Windows-1251") from None
    # cp1251 decodes almost anything; control characters betray another encoding.
    bad = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t")
    if bad > len(text) // 100:
        raise FileProblem("cannot detect the encoding: expected UTF-8 or Windows-1251")
    return "cp1251"


def detect_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=";,\t|").delimiter
    except csv.Error:
        first = lines[0]
        return max(";,\t|", key=first.count)


def unique_header(raw: list[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Header cells made unique ("phone", "phone (2)"), with notes about what changed."""
    seen: dict[str, int] = {}
    out = []
    notes = []
    for i, cell in enumerate(raw, start=1):
        name = str(cell if cell is not None else "").strip() or f"column {i}"
        if name in seen:
            seen[name] += 1
            new = f"{name} ({seen[name]})"
            notes.append(f"duplicate header {name!r} in column {i} renamed to {new!r}")
            name = new
        else:
            seen[name] = 1
        out.append(name)
    return tuple(out), tuple(notes)


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            count += chunk.count(b"\n")
    return count


def open_csv(path: Path) -> TableFile:
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if not sample.strip():
        raise FileProblem("the file is empty")
    encoding = detect_encoding(sample)
    head = sample.decode(encoding, errors="ignore")
    delimiter = detect_delimiter(head)
    fh_text = path.open("r", encoding=encoding, errors="strict", newline="")
    reader = csv.reader(fh_text, delimiter=delimiter)
    try:
        first = next(reader)
    except StopIteration:
        fh_text.close()
        raise FileProblem("the file is empty") from None
    header, notes = unique_header(first)

    def rows() -> Iterator[list[Any]]:
        try:
            yield from reader
        except UnicodeDecodeError as exc:
            raise FileProblem(f"the file is not valid {encoding} after byte {exc.start}") from None
        except csv.Error as exc:
            raise FileProblem(f"CSV error at line {reader.line_num}: {exc}") from None
        finally:
            fh_text.close()

    total = max(0, _count_lines(path) - 1)
    return TableFile(header, rows(), total, notes)


def open_spreadsheet(path: Path) -> TableFile:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        if not book.sheet_names:
            raise FileProblem("the workbook has no sheets")
        sheet = book.get_sheet_by_index(0)
        data = sheet.iter_rows()
    except FileProblem:
        raise
    except Exception as exc:
        raise FileProblem(f"cannot read the spreadsheet: {exc}") from None
    first = next(data, None)
    if first is None or not any(str(c).strip() for c in first):
        raise FileProblem("the file is empty")
    header, notes = unique_header(list(first))
    total = max(0, sheet.height - 1) if hasattr(sheet, "height") else None
    return TableFile(header, (list(r) for r in data), total, notes)


def open_jsonl(path: Path) -> TableFile:
    """A JSON batch saved by the API: the header line, then one JSON object a line."""
    fh = path.open("r", encoding="utf-8")
    header = tuple(json.loads(fh.readline()))

    def rows() -> Iterator[list[Any]]:
        with fh:
            for line in fh:
                rec = json.loads(line)
                yield [rec.get(k) for k in header]

    return TableFile(header, rows(), None)


def open_table(path: Path) -> TableFile:
    if path.suffix == ".jsonl":
        return open_jsonl(path)
    if path.stat().st_size == 0:
        raise FileProblem("the file is empty")
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        return open_spreadsheet(path)
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"PK\x03\x04") or magic.startswith(b"\xd0\xcf\x11\xe0"):
        return open_spreadsheet(path)  # a workbook uploaded under another name
    return open_csv(path)


def preview(path: Path, limit: int = 5) -> tuple[tuple[str, ...], list[list[str]], tuple[str, ...]]:
    table = open_table(path)
    sample = []
    for row in table.rows:
        sample.append(["" if c is None else str(c) for c in row])
        if len(sample) >= limit:
            break
    close = getattr(table.rows, "close", None)
    if close is not None:
        close()
    return table.header, sample, table.notes


def save_jsonl(path: Path, records: list[dict[str, Any]]) -> tuple[str, ...]:
    """Store a JSON batch for the import job; the union of keys becomes the header."""
    keys: dict[str, None] = {}
    for rec in records:
        keys.update(dict.fromkeys(str(k) for k in rec))
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(list(keys), ensure_ascii=False) + "\n")
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
    return tuple(keys)

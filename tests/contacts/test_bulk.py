"""The column-at-a-time import path gives exactly what the per-value rules give."""

from __future__ import annotations

import json
import random
from typing import Any

import numpy as np

from dialer.contacts.bulk import Bad, clean_column, converter, copy_escape, json_fragments
from dialer.contacts.importer import Column, RowValidator
from dialer.contacts.phones import normalize, normalize_text
from dialer.contacts.timezones import TzResolver
from dialer.contacts.values import ValueProblem, clean_value

SAMPLES: dict[str, list[Any]] = {
    "number": [
        "0",
        "-0",
        "12",
        "007",
        "100",
        "-5",
        "12.50",
        "12.5",
        "0.5",
        "1 000,25",
        "1e3",
        "x",
        "",
        " 7 ",
        "-0.10",
        "123456789012345678901234567890",
        "1.000000000000000000000000001",
        12.0,
        3,
        True,
    ],
    "date": [
        "1950-01-15",
        "1950-1-5",
        "2023-02-29",
        "0000-01-01",
        "15.01.1950",
        "15/01/1950",
        "nope",
        "",
        "1950-01-15 10:00:00",
        " 2001-12-31 ",
    ],
    "phone": [
        "8 (916) 123-45-67",
        "+7 916 1234567",
        "79161234567",
        "9161234567",
        "8-916-123-45-67 доб. 15",
        "123",
        "+7 000 000 00 00",
        "8 916 ABC",
        "(495) 123.45.67",
        "+44 20 7946 0958",
        "++7916",
        "-",
        "",
    ],
    "boolean": ["да", "Нет", "1", "0", "maybe", "", "TRUE"],
    "email": ["A@B.ru", "not-mail", "", "x@y"],
    "text": ["  a  ", "", "b\\c\td", 12.0, 1.5, 'дом "5"'],
}


def _expected(kind: str, raw: Any) -> str | Bad | None:
    if kind == "text":
        if raw is None:
            return None
        s = (str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw)).strip()
        return s or None
    try:
        return clean_value(kind, raw, "RU")
    except ValueProblem as exc:
        return Bad(str(exc))


def test_converters_match_clean_value() -> None:
    rng = random.Random(3)
    for kind, values in SAMPLES.items():
        conv = converter(kind, "RU")
        # repeated values take the cached path, a short column the direct one
        for column in (values, [rng.choice(values) for _ in range(200)]):
            got = clean_column(conv, column)
            want = [_expected(kind, v) for v in column]
            assert got == want and [type(g) for g in got] == [type(w) for w in want], kind


def test_plain_phone_shortcut_matches_normalize() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        raw = rng.choice(["8", "+7", "7", "", "+44", "("]) + "".join(
            rng.choice("0123456789 ()-.") for _ in range(rng.randint(3, 14))
        )
        try:
            want: str | None = normalize(raw)
        except ValueError:
            want = None
        try:
            got: str | None = normalize_text(raw)
        except ValueError:
            got = None
        assert got == want, raw


def test_fragments_are_json_escaped_for_copy() -> None:
    frags = json_fragments("note", ["a\\b", "x\ty", None, Bad("bad")])
    assert frags[2] is None and frags[3] is None
    # COPY text unescapes \\ to \, which must leave valid JSON for the original value
    text = frags[0]
    assert text is not None and json.loads("{" + text.replace("\\\\", "\\") + "}") == {"note": "a\\b"}
    assert frags[1] is not None and "\t" not in frags[1]
    assert copy_escape("a\tb\nc\\") == "a\\tb\\nc\\\\"


def test_validator_outcomes_per_row() -> None:
    resolver = TzResolver(
        "range_code",
        np.array([79160000000], dtype=np.int64),
        np.array([79169999999], dtype=np.int64),
        np.array([0], dtype=np.int32),
        ("Europe/Moscow",),
        {"7495": "UTC+03:00"},
        (4,),
    )
    cols = [
        Column(0, "Тел", "mobile", "phone"),
        Column(1, "Раб", "work", "phone"),
        Column(2, "Сумма", "debt", "number"),
    ]
    v = RowValidator(cols, 4, "RU", resolver)
    rows: list[list[Any]] = [
        ["8 916 123-45-67", "+7 495 1234567", "10,5", ""],
        ["8 916 ABC", "", "x", ""],
        ["", "", "", ""],
        ["", "", "", "only unmapped"],
        ["79161234569", "", "1", "", "extra"],
        ["79161234570"],  # short row
    ]
    out = v.prepare(iter(rows), 2)
    assert out.rows_seen == 6 and out.good_rows == [2, 7]
    attrs = [json.loads(a) for a in out.attrs]
    assert attrs == [
        {"mobile": "+79161234567", "work": "+74951234567", "debt": "10.5"},
        {"mobile": "+79161234570"},
    ]
    bad = {n: (s, m) for n, s, m in out.bad}
    assert bad[3][0] == "error" and "Тел → mobile" in bad[3][1] and "Сумма → debt" in bad[3][1]
    assert bad[4] == ("skipped", "empty row")
    assert bad[5] == ("error", "no values in the mapped columns")
    assert bad[6] == ("error", "the row has 5 cells, the header has 4")
    assert sorted(out.phones) == [
        (0, "mobile", "+79161234567", "Europe/Moscow", "range"),
        (0, "work", "+74951234567", "UTC+03:00", "code"),
        (1, "mobile", "+79161234570", "Europe/Moscow", "range"),
    ]

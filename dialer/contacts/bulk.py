"""Column-at-a-time value cleaning for imports, and COPY text encoding.

Cleaning a batch column by column lets each distinct value be cleaned once (cities,
names, dates and yes/no columns repeat a lot), and lets each cleaned value be turned
into its ``"field":"value"`` JSON fragment once, so rows are assembled by joining
ready-made strings instead of building a dict and a JSON document per row.

Results are exactly those of :func:`dialer.contacts.values.clean_value`: the fast paths
here only accept shapes whose canonical form is provably the input itself, and every
other value goes through ``clean_value``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from json.encoder import encode_basestring
from typing import Any

from dialer.contacts.phones import PhoneError, normalize_text
from dialer.contacts.values import ValueProblem, clean_value

# "123", "0", "123.45" (a non-zero fraction, no leading zeros): Decimal would print these
# unchanged, so the Decimal round trip (~2 µs) can be skipped.
_PLAIN_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_PLAIN_FRACTION = re.compile(r"-?[1-9][0-9]{0,17}\.[0-9]*[1-9]")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


class Bad(str):
    """A cleaning failure carried in a column in place of the value: the message."""


Cleaned = str | None  # a Bad, a value, or None (empty)
Converter = Callable[[Any], str | None]


def _text(v: Any) -> str | None:
    # The importer's own rule for text columns (spreadsheets hand over 12.0 for 12).
    if v is None:
        return None
    s = (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)).strip()
    return s or None


def converter(kind: str, region: str) -> Converter:
    if kind == "text":
        return _text
    if kind == "number":

        def number(v: Any) -> str | None:
            if type(v) is str:
                s = v.strip()
                if _PLAIN_INT.fullmatch(s) and s != "-0":
                    return s
                if _PLAIN_FRACTION.fullmatch(s):
                    return s
            return clean_value("number", v, region)

        return number
    if kind == "phone":

        def phone(v: Any) -> str | None:
            if type(v) is str and v.strip():
                try:
                    return normalize_text(v, region)
                except PhoneError as exc:  # worded as clean_value words it
                    raise ValueProblem(f"phone {exc}") from None
            return clean_value("phone", v, region)

        return phone
    if kind == "date":

        def iso_date(v: Any) -> str | None:
            if type(v) is str:
                s = v.strip()
                m = _ISO_DATE.fullmatch(s)
                if m is not None:
                    try:
                        date(int(m[1]), int(m[2]), int(m[3]))
                    except ValueError:
                        pass  # not a real day: clean_value words the problem
                    else:
                        return s
            return clean_value("date", v, region)

        return iso_date
    return lambda v: clean_value(kind, v, region)


def _clean_one(conv: Converter, raw: Any) -> Cleaned:
    try:
        return conv(raw)
    except ValueProblem as exc:
        return Bad(str(exc))


def clean_column(conv: Converter, raws: Sequence[Any]) -> list[Cleaned]:
    """``conv`` over a column; distinct plain strings are cleaned once."""
    try:
        distinct = set(raws)
    except TypeError:  # lists or dicts from a JSON batch: no caching
        return [_clean_one(conv, v) for v in raws]
    # 1 == 1.0 == True share a set slot yet clean differently; cache only str/None columns.
    if not all(v is None or type(v) is str for v in distinct):
        return [_clean_one(conv, v) for v in raws]
    if len(distinct) * 2 > len(raws):  # mostly unique (phones, e-mails): a cache only costs
        return [_clean_one(conv, v) for v in raws]
    done = {v: _clean_one(conv, v) for v in distinct}
    return [done[v] for v in raws]


def json_fragments(name: str, values: Sequence[Cleaned]) -> list[str | None]:
    """``"name":"value"`` per cell, already escaped for COPY text; None for empty/bad.

    JSON escapes tabs, newlines and CRs itself, so only backslashes need doubling for COPY.
    """
    key = encode_basestring(name) + ":"

    def frag(v: Cleaned) -> str | None:
        if v is None or type(v) is Bad:
            return None
        text = key + encode_basestring(v)
        return text.replace("\\", "\\\\") if "\\" in text else text

    if any(type(v) is Bad for v in values):
        return [frag(v) for v in values]  # a Bad may equal a value: no shared cache
    distinct = set(values)
    if len(distinct) * 2 > len(values):
        return [frag(v) for v in values]
    done = {v: frag(v) for v in distinct}
    return [done[v] for v in values]


def copy_escape(text: str) -> str:
    """A value for COPY's text format: backslash, tab, newline and CR escaped."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def copy_value(value: object) -> str:
    """A nullable value as COPY text: None is ``\\N``."""
    return "\\N" if value is None else copy_escape(str(value))

"""Message catalogs: English message ids, Russian translations in ``ru/*.json``.

Each feature keeps its own file (``ru/platform.json``, ``ru/contacts.json`` ...); they are
merged at load time, and an id defined twice with different texts is an error.

Russian is the first language of the interface; a missing Russian entry falls back to the
English id, and a test lists every id used by templates and views that lacks one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("ru", "en")
_DIR = Path(__file__).resolve().parent

Translator = Callable[..., str]


@cache
def catalog(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((_DIR / lang).glob("*.json")):
        data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        for key, text in data.items():
            if key in merged and merged[key] != text:
                raise ValueError(f"{path.name}: message {key!r} is translated differently elsewhere")
            merged[key] = text
    return merged


def translator(lang: str) -> Translator:
    table = catalog(lang) if lang in LANGUAGES else {}

    def _(msgid: str, **kwargs: Any) -> str:
        text = table.get(msgid, msgid)
        return text.format(**kwargs) if kwargs else text

    return _


def translate(lang: str, msgid: str, **kwargs: Any) -> str:
    return translator(lang)(msgid, **kwargs)

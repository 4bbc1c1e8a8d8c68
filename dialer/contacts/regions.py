"""Russian regions, as the numbering-plan registry writes them, to IANA time zones.

The shipped table (``data/regions_tz.csv``) lists every federal subject with its zone and
the word stems that identify it in any spelling the registry uses ("г. Москва",
"Москва и Московская область", "Республика Саха /Якутия/", "Кемеровская область -
Кузбасс" ...). The longest stem found in the text wins, so "Ямало-Ненецкий" is not read
as "Ненецкий" and "Томская" not as "Омская".
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "regions_tz.csv"
_DASH = re.compile(r"\s*[-–—]\s*")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Subject:
    name: str
    tz: str
    stems: tuple[str, ...]


@cache
def subjects() -> tuple[Subject, ...]:
    with DATA.open(encoding="utf-8") as fh:
        return tuple(
            Subject(r["subject"], r["tz"], tuple(s.strip() for s in r["stems"].split(",") if s.strip()))
            for r in csv.DictReader(fh, delimiter=";")
        )


@cache
def _stems() -> tuple[tuple[str, Subject], ...]:
    pairs = [(stem, s) for s in subjects() for stem in s.stems]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


def normalise(text: str) -> str:
    t = text.lower().replace("ё", "е").split("|")[0]
    t = _DASH.sub("-", t)
    t = t.replace("обл.", "область").replace("респ.", "республика")
    return _SPACE.sub(" ", t).strip()


def subject_of(region: str) -> Subject | None:
    text = normalise(region)
    if not text:
        return None
    for stem, subject in _stems():
        if stem in text:
            return subject
    return None


def region_zone(region: str) -> str | None:
    found = subject_of(region)
    return found.tz if found else None

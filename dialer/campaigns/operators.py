"""Skills, operators and the phone-number rules of operator login (R4.4).

A number may belong to several operators, but only one signed-in operator uses it at a
time; at login an operator may add a number of their own only when it matches one of the
administrator's masks. The rules are pure functions here; the login flow of the operator
workplace calls them with the current sessions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from dialer.campaigns.refs import Field, RefKind, Usage
from dialer.errors import InvalidInput

_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
_MASK = re.compile(r"^\+?[0-9X*]+$")
_SKILL_LINE = re.compile(r"^(?P<name>[^=]+?)\s*=\s*(?P<level>\d+)\s*(?:/\s*(?P<wrapup>\d+))?\s*$")


# --- pure rules -----------------------------------------------------------------------------


def normalize_number(raw: str) -> str:
    """Digits with an optional leading +; spaces, dashes and brackets are dropped."""
    text = re.sub(r"[\s\-()]", "", raw or "")
    if not _NUMBER.match(text):
        raise ValueError(f"not a phone number: {raw}")
    return text


def valid_mask(mask: str) -> bool:
    return bool(_MASK.match(mask or ""))


def mask_matches(mask: str, number: str) -> bool:
    """``X`` is any one digit, ``*`` any run of digits, anything else is itself."""
    if not valid_mask(mask):
        return False
    pattern = "".join("[0-9]" if c == "X" else "[0-9]*" if c == "*" else re.escape(c) for c in mask)
    return re.fullmatch(pattern, number) is not None


@dataclass(frozen=True)
class LoginDecision:
    use: tuple[str, ...]  # numbers the operator signs in with
    add: tuple[str, ...]  # new numbers to store as the operator's own
    refused: Mapping[str, str] = field(default_factory=dict)  # number -> reason


def login_numbers(
    operator_id: int,
    own: Iterable[str],
    requested: Sequence[str],
    masks: Iterable[str],
    sessions: Mapping[str, int],
) -> LoginDecision:
    """Which requested numbers an operator may sign in with.

    ``sessions`` maps a number to the operator now signed in with it. A number held by
    somebody else is refused; a number that is not the operator's own is added only when
    an administrator's mask allows it.
    """
    own_set = set(own)
    mask_list = list(masks)
    use: list[str] = []
    add: list[str] = []
    refused: dict[str, str] = {}
    for raw in requested:
        try:
            number = normalize_number(raw)
        except ValueError:
            refused[raw] = "not a phone number"
            continue
        if number in use:
            continue
        holder = sessions.get(number)
        if holder is not None and holder != operator_id:
            refused[number] = "in use by another signed-in operator"
            continue
        if number not in own_set:
            if not any(mask_matches(m, number) for m in mask_list):
                refused[number] = "matches no allowed mask"
                continue
            add.append(number)
        use.append(number)
    return LoginDecision(tuple(use), tuple(add), refused)


def effective_wrapup(operator_wrapup: int | None, strategy_wrapup: int | None, default: int = 0) -> int:
    """The operator's skill wrap-up overrides the strategy's (spec 19.1.2, note)."""
    if operator_wrapup is not None:
        return operator_wrapup
    return strategy_wrapup if strategy_wrapup is not None else default


# --- form and API values --------------------------------------------------------------------


def parse_skills(value: Any) -> list[dict[str, Any]]:
    """Lines ``Skill name = level [/ wrap-up seconds]`` or an API list of objects."""
    items = value.splitlines() if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("skills are a list")
    out: list[dict[str, Any]] = []
    for raw in items:
        if isinstance(raw, str):
            if not raw.strip():
                continue
            m = _SKILL_LINE.match(raw.strip())
            if not m:
                raise ValueError("write a skill as: name = level / wrap-up seconds")
            raw = {
                "skill": m["name"],
                "level": int(m["level"]),
                "wrapup_seconds": int(m["wrapup"]) if m["wrapup"] else None,
            }
        if not isinstance(raw, Mapping):
            raise ValueError("a skill is an object")
        level = raw.get("level")
        wrapup = raw.get("wrapup_seconds")
        if not isinstance(level, int) or not 1 <= level <= 100:
            raise ValueError("a skill level is from 1 to 100")
        if wrapup is not None and (not isinstance(wrapup, int) or not 0 <= wrapup <= 3600):
            raise ValueError("wrap-up is from 0 to 3600 seconds")
        ref = raw.get("skill_id") if raw.get("skill_id") is not None else str(raw.get("skill", "")).strip()
        if ref in ("", None):
            raise ValueError("name the skill")
        out.append({"skill": ref, "level": level, "wrapup_seconds": wrapup})
    return out


def show_skills(skills: Sequence[Mapping[str, Any]]) -> str:
    return "\n".join(
        f"{s.get('name', s['skill'])} = {s['level']}"
        + (f" / {s['wrapup_seconds']}" if s.get("wrapup_seconds") is not None else "")
        for s in skills
    )


def parse_phones(value: Any) -> list[str]:
    # one number a line (commas and semicolons also separate); spaces inside a number are fine
    items = [p for p in re.split(r"[\n,;]+", value) if p.strip()] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("phones are a list")
    out: list[str] = []
    for raw in items:
        number = normalize_number(str(raw))
        if number not in out:
            out.append(number)
    return out


async def _load(conn: asyncpg.Connection, operator_id: int) -> dict[str, Any]:
    skills = await conn.fetch(
        "SELECT s.id AS skill, s.name, os.level, os.wrapup_seconds FROM operator_skills os "
        "JOIN skills s ON s.id = os.skill_id WHERE os.operator_id = $1 ORDER BY s.name",
        operator_id,
    )
    phones = await conn.fetch(
        "SELECT number FROM operator_phones WHERE operator_id = $1 ORDER BY number", operator_id
    )
    return {"skills": [dict(r) for r in skills], "phones": [r["number"] for r in phones]}


async def _save(conn: asyncpg.Connection, operator_id: int, values: dict[str, Any]) -> None:
    by_name = {r["name"].lower(): r["id"] for r in await conn.fetch("SELECT id, name FROM skills")}
    rows = []
    for s in values["skills"]:
        ref = s["skill"]
        skill_id = ref if isinstance(ref, int) else by_name.get(str(ref).lower())
        if skill_id is None or skill_id not in by_name.values():
            raise InvalidInput({"skills": f"no such skill: {ref}"})
        rows.append((operator_id, skill_id, s["level"], s["wrapup_seconds"]))
    if len({r[1] for r in rows}) != len(rows):
        raise InvalidInput({"skills": "a skill is listed twice"})
    await conn.execute("DELETE FROM operator_skills WHERE operator_id = $1", operator_id)
    await conn.executemany(
        "INSERT INTO operator_skills (operator_id, skill_id, level, wrapup_seconds) VALUES ($1, $2, $3, $4)",
        rows,
    )
    await conn.execute("DELETE FROM operator_phones WHERE operator_id = $1", operator_id)
    await conn.executemany(
        "INSERT INTO operator_phones (operator_id, number) VALUES ($1, $2)",
        [(operator_id, n) for n in values["phones"]],
    )


SKILLS = RefKind(
    key="skills",
    table="skills",
    title="Skills",
    singular="Skill",
    fields=(
        Field("name", "Name", required=True),
        Field("description", "Description", "textarea", max_len=2000),
    ),
    usages=(
        Usage(
            "operator",
            "SELECT o.name FROM operators o JOIN operator_skills os ON os.operator_id = o.id "
            "WHERE os.skill_id = $1 ORDER BY 1",
        ),
    ),
)

OPERATORS = RefKind(
    key="operators",
    table="operators",
    title="Operators",
    singular="Operator",
    fields=(
        Field("name", "Name", required=True),
        Field("user_id", "User login", "ref", required=True, ref="users", ref_label="login"),
        Field("organization_id", "Organization", "ref", ref="organizations"),
        Field("description", "Description", "textarea", max_len=2000),
        Field(
            "phones",
            "Phone numbers",
            "lines",
            column=False,
            parse=parse_phones,
            show="\n".join,
            help="One number per line; a number may belong to several operators",
        ),
        Field(
            "skills",
            "Skills",
            "lines",
            column=False,
            parse=parse_skills,
            show=show_skills,
            help="One per line: skill name = level 1-100 / wrap-up seconds (optional)",
        ),
    ),
    org_column="organization_id",
    save_extra=_save,
    load_extra=_load,
)


PHONE_MASKS = RefKind(
    key="phone_masks",
    table="phone_masks",
    title="Phone masks",
    singular="Phone mask",
    fields=(
        Field(
            "mask",
            "Mask",
            required=True,
            max_len=40,
            help="Digits, X for any digit, * for any digits",
            pattern=r"\+?[0-9X*]+",
            pattern_message="digits, X for any digit, * for any digits",
        ),
        Field("description", "Description", "textarea", max_len=2000),
    ),
    order_by="mask",
)

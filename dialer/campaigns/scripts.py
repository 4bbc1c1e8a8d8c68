"""Operator scripts: ordered questions with an identifier, a mandatory flag and links (R4.3).

The form edits questions as lines ``identifier | question | required | link link``; the
API sends the same as a list of objects. Answers are stored per call attempt and keyed by
the question identifier, so reports survive later edits of the script.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from dialer.campaigns.refs import Field, RefKind
from dialer.errors import InvalidInput

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
_MANDATORY = {"required", "yes", "*", "да", "обязательный", "true"}
_OPTIONAL = {"", "optional", "no", "нет", "false"}


@dataclass(frozen=True)
class Question:
    identifier: str
    text: str
    mandatory: bool = False
    links: tuple[str, ...] = ()


def _question(item: Any) -> Question:
    if isinstance(item, str):
        parts = [p.strip() for p in item.split("|")]
        parts += [""] * (4 - len(parts))
        if len(parts) > 4:
            raise ValueError("a line has at most 4 parts: identifier | question | required | links")
        ident, text, flag, links = parts
        if flag.lower() not in _MANDATORY | _OPTIONAL:
            raise ValueError("the third part is required or optional")
        item = {
            "identifier": ident,
            "text": text,
            "mandatory": flag.lower() in _MANDATORY,
            "links": links.split(),
        }
    if not isinstance(item, Mapping):
        raise ValueError("a question is an object")
    ident = str(item.get("identifier", "")).strip()
    text = str(item.get("text", "")).strip()
    urls = tuple(str(u).strip() for u in item.get("links") or () if str(u).strip())
    if not _IDENT.match(ident):
        raise ValueError("a question identifier is Latin letters, digits and _")
    if not text:
        raise ValueError(f"question {ident} has no text")
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"question {ident}: a link starts with http:// or https://")
    return Question(ident, text, bool(item.get("mandatory")), urls)


def parse_questions(value: Any) -> list[dict[str, Any]]:
    """Questions from form text (one per line) or an API list; duplicates are refused."""
    items = value.splitlines() if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("questions are a list")
    out: list[dict[str, Any]] = []
    for raw in items:
        if isinstance(raw, str) and not raw.strip():
            continue
        q = _question(raw)
        if any(o["identifier"] == q.identifier for o in out):
            raise ValueError(f"question {q.identifier} is listed twice")
        out.append(
            {"identifier": q.identifier, "text": q.text, "mandatory": q.mandatory, "links": list(q.links)}
        )
    return out


def show_questions(questions: Sequence[Mapping[str, Any]]) -> str:
    return "\n".join(
        " | ".join(
            [q["identifier"], q["text"], "required" if q["mandatory"] else "optional", " ".join(q["links"])]
        ).rstrip(" |")
        for q in questions
    )


def missing_mandatory(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, str]) -> list[str]:
    """Identifiers of mandatory questions left without an answer."""
    return [
        q["identifier"]
        for q in questions
        if q["mandatory"] and not str(answers.get(q["identifier"], "")).strip()
    ]


async def _load(conn: asyncpg.Connection, script_id: int) -> dict[str, Any]:
    rows = await conn.fetch(
        "SELECT identifier, text, mandatory, links FROM script_questions WHERE script_id = $1 ORDER BY position",
        script_id,
    )
    return {"questions": [{**dict(r), "links": list(r["links"])} for r in rows]}


async def _save(conn: asyncpg.Connection, script_id: int, values: dict[str, Any]) -> None:
    await conn.execute("DELETE FROM script_questions WHERE script_id = $1", script_id)
    await conn.executemany(
        "INSERT INTO script_questions (script_id, position, identifier, text, mandatory, links) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        [
            (script_id, i, q["identifier"], q["text"], q["mandatory"], q["links"])
            for i, q in enumerate(values["questions"])
        ],
    )


SCRIPTS = RefKind(
    key="scripts",
    table="scripts",
    title="Scripts",
    singular="Script",
    fields=(
        Field("name", "Name", required=True),
        Field("description", "Description", "textarea", max_len=2000),
        Field(
            "questions",
            "Questions",
            "lines",
            column=False,
            parse=parse_questions,
            show=show_questions,
            help="One per line: identifier | question | required or optional | links",
        ),
    ),
    save_extra=_save,
    load_extra=_load,
)


async def save_answers(
    conn: asyncpg.Connection,
    call_attempt_id: int,
    contact_id: int,
    script_id: int,
    answers: Mapping[str, str],
) -> None:
    """Store an operator's answers; mandatory questions must be answered, unknown ones are refused."""
    questions = (await _load(conn, script_id))["questions"]
    known = {q["identifier"] for q in questions}
    errors = {k: "no such question" for k in answers if k not in known}
    errors |= {k: "required" for k in missing_mandatory(questions, answers)}
    if errors:
        raise InvalidInput(errors)
    await conn.executemany(
        "INSERT INTO script_answers (call_attempt_id, contact_id, script_id, question, answer) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (call_attempt_id, question) "
        "DO UPDATE SET answer = EXCLUDED.answer, answered_at = now()",
        [(call_attempt_id, contact_id, script_id, k, str(v)) for k, v in answers.items()],
    )


async def answers_of(conn: asyncpg.Connection, call_attempt_id: int) -> dict[str, str]:
    rows = await conn.fetch(
        "SELECT question, answer FROM script_answers WHERE call_attempt_id = $1", call_attempt_id
    )
    return {r["question"]: r["answer"] for r in rows}

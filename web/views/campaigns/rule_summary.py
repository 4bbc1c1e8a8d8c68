"""A readable account of a strategy's rule chains, shown under the JSON editor."""

from __future__ import annotations

import json
from typing import Any

from dialer.campaigns.rules import (
    Action,
    Finish,
    MoveToList,
    ReplyRule,
    Retry,
    Rule,
    RuleError,
    SendMessage,
    StrategyRules,
    WebRequest,
    parse_rules,
)

Line = tuple[str, dict[str, Any]]  # message id and its parameters


def _action(a: Action, interval: int) -> Line:
    if isinstance(a, Retry):
        seconds = a.after_seconds if a.after_seconds is not None else interval
        if a.field:
            return ("call {field} after {seconds} s", {"field": a.field, "seconds": seconds})
        return ("call the same number after {seconds} s", {"seconds": seconds})
    if isinstance(a, SendMessage):
        msg = (
            "send {channel} template #{id} to {field} and wait for the reply"
            if a.wait_reply
            else ("send {channel} template #{id} to {field}")
        )
        return (msg, {"channel": a.channel.upper(), "id": a.template_id, "field": a.field})
    if isinstance(a, WebRequest):
        return ("web request {method} {url}", {"method": a.method, "url": a.url})
    if isinstance(a, MoveToList):
        return ("move to list #{id}", {"id": a.list_id})
    assert isinstance(a, Finish)
    return ("finish", {})


def _rule(r: Rule, common: int) -> dict[str, Any]:
    interval = r.interval_seconds if r.interval_seconds is not None else common
    head: Line = (
        "{code}: the same number {n} times in all, {seconds} s apart",
        {"code": r.code, "n": r.attempts_previous, "seconds": interval},
    )
    return {"head": head, "actions": [_action(a, interval) for a in r.actions]}


def _reply(r: ReplyRule, common: int) -> dict[str, Any]:
    return {"head": ("reply “{text}”", {"text": r.text}), "actions": [_action(a, common) for a in r.actions]}


def summarize(rules: StrategyRules) -> list[tuple[str, list[dict[str, Any]]]]:
    """Sections (title id, rules) in the order the editor lists them; empty sections are left out."""
    i = rules.interval_seconds
    sections = [
        ("Working days", [_rule(r, i) for r in rules.working]),
        ("Weekends and holidays", [_rule(r, i) for r in rules.holiday]),
        ("SMS replies on working days", [_reply(r, i) for r in rules.sms_working]),
        ("SMS replies on weekends and holidays", [_reply(r, i) for r in rules.sms_holiday]),
    ]
    return [(title, items) for title, items in sections if items]


def summary_of(value: Any) -> list[tuple[str, list[dict[str, Any]]]] | None:
    """The summary of a form's or a stored rules value; None while it does not parse."""
    try:
        raw = json.loads(value) if isinstance(value, str) else value
        return summarize(parse_rules(raw or {}))
    except (RuleError, json.JSONDecodeError, TypeError):
        return None

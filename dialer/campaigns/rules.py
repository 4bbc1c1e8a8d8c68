"""Call-result rule chains of a strategy (R4.9) and their pure evaluator.

A strategy stores, separately for working days and for weekends and holidays, one rule
per completion code: "call the same number N times in all", then a chain of actions (call
another phone field, send an SMS or e-mail, make a web request, move the contact to
another list, finish). SMS-reply rules map the customer's reply text to a chain too.

Stored form (JSON, validated by ``parse_rules`` before it is saved)::

    {"interval_seconds": 600,
     "working": [{"code": "busy", "attempts_previous": 3, "interval_seconds": 300,
                  "actions": [{"type": "retry", "field": "phone2"},
                              {"type": "sms", "template_id": 4, "field": "phone", "wait_reply": true}]}],
     "holiday": [...],
     "sms_replies": {"working": [{"text": "yes", "actions": [{"type": "retry"}]}], "holiday": [...]}}

``next_actions`` walks a chain from the contact's position in it. Every returned action
carries ``step``, its index in the chain (-1 for actions the evaluator adds itself: a
repeat of the same number, or the finish when the chain or the attempts run out); the
engine stores ``max(step) + 1`` as the contact's new position.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

DayType = Literal["working", "holiday"]
DAY_TYPES: tuple[DayType, ...] = ("working", "holiday")
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MAX_CHAIN = 20
MAX_INTERVAL = 30 * 86400


class RuleError(ValueError):
    """A rule document is malformed; the message starts with the path of the bad part."""


@dataclass(frozen=True)
class Retry:
    field: str | None = None  # contact phone field; None: the number just called
    after_seconds: int | None = None  # None: the rule's or the common interval
    step: int = -1


@dataclass(frozen=True)
class SendMessage:
    channel: Literal["sms", "email"]
    template_id: int
    field: str
    wait_reply: bool = False
    step: int = -1


@dataclass(frozen=True)
class WebRequest:
    url: str
    method: Literal["GET", "POST"] = "GET"
    step: int = -1


@dataclass(frozen=True)
class MoveToList:
    list_id: int
    step: int = -1


@dataclass(frozen=True)
class Finish:
    reason: str = "rule"
    step: int = -1


Action = Retry | SendMessage | WebRequest | MoveToList | Finish


@dataclass(frozen=True)
class Rule:
    code: str
    actions: tuple[Action, ...]
    attempts_previous: int = 1  # calls in all to the first number before the chain starts
    interval_seconds: int | None = None


@dataclass(frozen=True)
class ReplyRule:
    text: str  # matched case-insensitively after trimming; "*" matches any reply
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class StrategyRules:
    interval_seconds: int = 600
    working: tuple[Rule, ...] = ()
    holiday: tuple[Rule, ...] = ()
    sms_working: tuple[ReplyRule, ...] = ()
    sms_holiday: tuple[ReplyRule, ...] = ()


@dataclass(frozen=True)
class AttemptState:
    step: int = 0  # position in the chain of the code's rule
    attempts_on_number: int = 1  # calls made to the number just called
    total_attempts: int = 1  # calls made to the contact
    max_attempts: int | None = None  # the strategy's limit; None: no limit
    phone_field: str = "phone"


# --- evaluation -------------------------------------------------------------------------------


def _is_stop(action: Action) -> bool:
    """Actions after which the chain waits: for a call, the reply, or nothing more."""
    return isinstance(action, Retry | MoveToList | Finish) or (
        isinstance(action, SendMessage) and action.wait_reply
    )


def _walk(actions: Sequence[Action], start: int, interval: int, state: AttemptState) -> list[Action]:
    exhausted = state.max_attempts is not None and state.total_attempts >= state.max_attempts
    out: list[Action] = []
    for action in actions[start:]:
        if isinstance(action, Retry):
            if exhausted:
                out.append(Finish("max attempts"))
                return out
            out.append(
                replace(
                    action,
                    field=action.field or state.phone_field,
                    after_seconds=action.after_seconds if action.after_seconds is not None else interval,
                )
            )
            return out
        out.append(action)
        if _is_stop(action):
            return out
    out.append(Finish("chain done"))
    return out


def find_rule(rules: StrategyRules, code: str, day_type: DayType) -> Rule | None:
    """The rule for a code; weekends and holidays use the working-day rule unless they have their own."""
    chains = (rules.holiday, rules.working) if day_type == "holiday" else (rules.working,)
    for chain in chains:
        for rule in chain:
            if rule.code == code:
                return rule
    return None


def next_actions(
    strategy_rules: StrategyRules, code: str, day_type: DayType, attempt_state: AttemptState
) -> list[Action]:
    """What to do with a contact after a call finished with ``code``.

    The list ends with one stopping action (a call, a move, a finish, or a message that
    waits for a reply); the non-stopping actions before it (messages, web requests) run
    first. A code without a rule finishes the contact.
    """
    rule = find_rule(strategy_rules, code, day_type)
    if rule is None:
        return [Finish("no rule")]
    interval = rule.interval_seconds if rule.interval_seconds is not None else strategy_rules.interval_seconds
    if attempt_state.step == 0 and attempt_state.attempts_on_number < rule.attempts_previous:
        return _walk((Retry(),), 0, interval, attempt_state)
    return _walk(rule.actions, attempt_state.step, interval, attempt_state)


def reply_actions(
    strategy_rules: StrategyRules, reply_text: str, day_type: DayType, attempt_state: AttemptState
) -> list[Action]:
    """The chain for a customer's SMS reply; an unmatched reply finishes the contact."""
    r = strategy_rules
    chains = (r.sms_holiday, r.sms_working) if day_type == "holiday" else (r.sms_working,)
    text = reply_text.strip().casefold()
    for chain in chains:
        for rule in chain:
            if rule.text == "*" or rule.text.casefold() == text:
                return _walk(rule.actions, 0, strategy_rules.interval_seconds, attempt_state)
    return [Finish("no reply rule")]


# --- validation and the stored form ---------------------------------------------------------


def _int(
    raw: Mapping[str, Any], key: str, path: str, lo: int, hi: int, default: int | None = None
) -> int | None:
    value = raw.get(key, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise RuleError(f"{path}.{key}: a whole number from {lo} to {hi}")
    return value


def _field(raw: Mapping[str, Any], key: str, path: str, required: bool) -> str | None:
    value = raw.get(key)
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not _FIELD.match(value):
        raise RuleError(f"{path}.{key}: a contact field name")
    return value


def _action(raw: Any, path: str, step: int) -> Action:
    if not isinstance(raw, Mapping):
        raise RuleError(f"{path}: an object")
    kind = raw.get("type")
    allowed = {
        "retry": {"field", "after_seconds"},
        "sms": {"template_id", "field", "wait_reply"},
        "email": {"template_id", "field", "wait_reply"},
        "web_request": {"url", "method"},
        "move": {"list_id"},
        "finish": set(),
    }
    if kind not in allowed:
        raise RuleError(f"{path}.type: one of " + ", ".join(allowed))
    extra = set(raw) - allowed[kind] - {"type"}
    if extra:
        raise RuleError(f"{path}: unknown keys " + ", ".join(sorted(extra)))
    if kind == "retry":
        return Retry(
            _field(raw, "field", path, False), _int(raw, "after_seconds", path, 1, MAX_INTERVAL), step
        )
    if kind in ("sms", "email"):
        template = _int(raw, "template_id", path, 1, 2**31 - 1)
        if template is None:
            raise RuleError(f"{path}.template_id: required")
        default_field = "phone" if kind == "sms" else "email"
        field = _field(raw, "field", path, False) or default_field
        wait = raw.get("wait_reply", False)
        if not isinstance(wait, bool):
            raise RuleError(f"{path}.wait_reply: true or false")
        return SendMessage("sms" if kind == "sms" else "email", template, field, wait, step)
    if kind == "web_request":
        url, method = raw.get("url"), raw.get("method", "GET")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise RuleError(f"{path}.url: starts with http:// or https://")
        if method not in ("GET", "POST"):
            raise RuleError(f"{path}.method: GET or POST")
        return WebRequest(url, method, step)
    if kind == "move":
        list_id = _int(raw, "list_id", path, 1, 2**63 - 1)
        if list_id is None:
            raise RuleError(f"{path}.list_id: required")
        return MoveToList(list_id, step)
    return Finish("rule", step)


def _chain(raw: Any, path: str) -> tuple[Action, ...]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_CHAIN:
        raise RuleError(f"{path}: a list of 1 to {MAX_CHAIN} actions")
    actions = tuple(_action(a, f"{path}[{i}]", i) for i, a in enumerate(raw))
    for i, action in enumerate(actions[:-1]):
        if isinstance(action, MoveToList | Finish):
            raise RuleError(f"{path}[{i}]: nothing can follow a move or a finish")
    return actions


def _rules(raw: Any, path: str) -> tuple[Rule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RuleError(f"{path}: a list of rules")
    out: list[Rule] = []
    for i, item in enumerate(raw):
        p = f"{path}[{i}]"
        if not isinstance(item, Mapping):
            raise RuleError(f"{p}: an object")
        code = item.get("code")
        if not isinstance(code, str) or not _CODE.match(code):
            raise RuleError(f"{p}.code: a completion code key")
        if any(r.code == code for r in out):
            raise RuleError(f"{p}.code: {code} has two rules")
        extra = set(item) - {"code", "actions", "attempts_previous", "interval_seconds"}
        if extra:
            raise RuleError(f"{p}: unknown keys " + ", ".join(sorted(extra)))
        attempts = _int(item, "attempts_previous", p, 1, 100, 1)
        assert attempts is not None
        out.append(
            Rule(
                code,
                _chain(item.get("actions"), f"{p}.actions"),
                attempts,
                _int(item, "interval_seconds", p, 1, MAX_INTERVAL),
            )
        )
    return tuple(out)


def _replies(raw: Any, path: str) -> tuple[ReplyRule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RuleError(f"{path}: a list of reply rules")
    out: list[ReplyRule] = []
    for i, item in enumerate(raw):
        p = f"{path}[{i}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("text"), str) or not item["text"].strip():
            raise RuleError(f"{p}.text: the reply text")
        text = item["text"].strip()
        if any(r.text.casefold() == text.casefold() for r in out):
            raise RuleError(f"{p}.text: {text} has two rules")
        out.append(ReplyRule(text, _chain(item.get("actions"), f"{p}.actions")))
    return tuple(out)


def parse_rules(raw: Any) -> StrategyRules:
    """Validate a stored or submitted rule document."""
    if raw is None or raw == {}:
        return StrategyRules()
    if not isinstance(raw, Mapping):
        raise RuleError("rules: an object")
    extra = set(raw) - {"interval_seconds", "working", "holiday", "sms_replies"}
    if extra:
        raise RuleError("rules: unknown keys " + ", ".join(sorted(extra)))
    interval = _int(raw, "interval_seconds", "rules", 1, MAX_INTERVAL, 600)
    assert interval is not None
    sms = raw.get("sms_replies") or {}
    if not isinstance(sms, Mapping) or set(sms) - set(DAY_TYPES):
        raise RuleError("sms_replies: an object with working and holiday")
    return StrategyRules(
        interval,
        _rules(raw.get("working"), "working"),
        _rules(raw.get("holiday"), "holiday"),
        _replies(sms.get("working"), "sms_replies.working"),
        _replies(sms.get("holiday"), "sms_replies.holiday"),
    )


def action_to_json(action: Action) -> dict[str, Any]:
    if isinstance(action, Retry):
        out: dict[str, Any] = {"type": "retry"}
        if action.field:
            out["field"] = action.field
        if action.after_seconds is not None:
            out["after_seconds"] = action.after_seconds
        return out
    if isinstance(action, SendMessage):
        return {
            "type": action.channel,
            "template_id": action.template_id,
            "field": action.field,
            "wait_reply": action.wait_reply,
        }
    if isinstance(action, WebRequest):
        return {"type": "web_request", "url": action.url, "method": action.method}
    if isinstance(action, MoveToList):
        return {"type": "move", "list_id": action.list_id}
    return {"type": "finish"}


def _rule_json(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": rule.code,
        "attempts_previous": rule.attempts_previous,
        "actions": [action_to_json(a) for a in rule.actions],
    }
    if rule.interval_seconds is not None:
        out["interval_seconds"] = rule.interval_seconds
    return out


def rules_to_json(rules: StrategyRules) -> dict[str, Any]:
    """The canonical stored form; ``parse_rules(rules_to_json(r)) == r``."""
    return {
        "interval_seconds": rules.interval_seconds,
        "working": [_rule_json(r) for r in rules.working],
        "holiday": [_rule_json(r) for r in rules.holiday],
        "sms_replies": {
            day: [{"text": r.text, "actions": [action_to_json(a) for a in r.actions]} for r in chain]
            for day, chain in (("working", rules.sms_working), ("holiday", rules.sms_holiday))
        },
    }


def referenced_codes(rules: StrategyRules) -> set[str]:
    return {r.code for r in (*rules.working, *rules.holiday)}


def referenced_templates(rules: StrategyRules) -> set[tuple[str, int]]:
    """(channel, template id) of every message action."""
    chains: list[tuple[Action, ...]] = [r.actions for r in (*rules.working, *rules.holiday)]
    chains += [r.actions for r in (*rules.sms_working, *rules.sms_holiday)]
    return {(a.channel, a.template_id) for chain in chains for a in chain if isinstance(a, SendMessage)}

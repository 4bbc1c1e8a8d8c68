"""Shared bits of API handlers: body validation and JSON encoding."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from dialer.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def ok(data: Any, status: int = 200) -> web.Response:
    return web.json_response(
        data, status=status, dumps=lambda v: json.dumps(v, default=_default, ensure_ascii=False)
    )


async def body(request: web.Request, model: type[M]) -> M:
    """Parse and validate the JSON body; errors name the field."""
    if request.content_type != "application/json":
        raise InvalidInput({"__all__": "send the body as application/json"})
    raw = await request.json()
    request["audit_input"] = raw if isinstance(raw, dict) else {"body": raw}
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]) or "__all__": e["msg"] for e in exc.errors()}
        raise InvalidInput(fields) from None


def int_query(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput({name: "must be a whole number"}) from None
    if not lo <= value <= hi:
        raise InvalidInput({name: f"must be between {lo} and {hi}"})
    return value

"""Route declarations with their access guard, so no route can exist without one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Guard:
    """public: anyone; login: any signed-in user; otherwise page and/or object rights."""

    public: bool = False
    page: str | None = None
    obj: str | None = None
    action: Literal["read", "write"] = "read"


PUBLIC = Guard(public=True)
LOGIN = Guard()


def page(key: str, obj: str | None = None, action: Literal["read", "write"] = "read") -> Guard:
    return Guard(page=key, obj=obj, action=action)


def obj(key: str, action: Literal["read", "write"] = "read") -> Guard:
    return Guard(obj=key, action=action)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    name: str
    guard: Guard
    # OpenAPI description for API routes
    summary: str = ""
    body: Any = None  # a pydantic model class
    tag: str = ""


GUARDS = web.AppKey("guards", dict)


def install(app: web.Application, routes: list[Route]) -> None:
    guards: dict[str, Guard] = app.setdefault(GUARDS, {})
    for r in routes:
        if r.name in guards:
            raise ValueError(f"route name {r.name} is used twice")
        app.router.add_route(r.method, r.path, r.handler, name=r.name)
        guards[r.name] = r.guard


def guard_for(request: web.Request) -> Guard | None:
    route = request.match_info.route
    name = route.name
    if name is None:
        return None
    for app in reversed(request.match_info.apps):
        guards = app.get(GUARDS)
        if guards and name in guards:
            g: Guard = guards[name]
            return g
    return None

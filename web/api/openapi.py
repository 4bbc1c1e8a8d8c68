"""The OpenAPI 3 document, generated from the route table, and a readable docs page."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from dialer import __version__
from web.forms import render
from web.routing import Route

_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")


def build_document(routes: list[Route], prefix: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for r in routes:
        path = prefix + _PARAM.sub(r"{\1}", r.path)
        op: dict[str, Any] = {
            "operationId": r.name,
            "summary": r.summary or r.name,
            "tags": [r.tag or "platform"],
            "responses": {
                "200": {"description": "OK"},
                "401": {"description": "No session and no valid API token"},
                "403": {"description": "The role does not allow this"},
                "422": {"description": "Invalid input; `fields` names each bad field"},
            },
        }
        if r.guard.public:
            op["security"] = []
        else:
            op["x-required-access"] = {
                k: v for k, v in (("page", r.guard.page), ("object", r.guard.obj)) if v
            } | ({"action": r.guard.action} if r.guard.obj else {})
        params = [
            {"name": n, "in": "path", "required": True, "schema": {"type": "integer"}}
            for n in _PARAM.findall(r.path)
        ]
        if params:
            op["parameters"] = params
        if r.body is not None:
            schema = r.body.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                schemas[name] = sub
            schemas[r.body.__name__] = schema
            op["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{r.body.__name__}"}}
                },
            }
        paths.setdefault(path, {})[r.method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Dialer API",
            "version": __version__,
            "description": "Control the dialer from outside: users, lists, campaigns, results. "
            "Authenticate with `Authorization: Bearer <token>` (create tokens on the profile page).",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
        "paths": paths,
    }


DOC = web.AppKey("openapi", dict)


async def openapi_json(request: web.Request) -> web.StreamResponse:
    return web.json_response(request.config_dict[DOC])


async def docs_page(request: web.Request) -> web.StreamResponse:
    return render(request, "api_docs.html", {"doc": request.config_dict[DOC]})

"""REST handlers the mod_python3 IVR scripts call (fs_app/ivr/api.py) with an API token."""

from __future__ import annotations

from aiohttp import web

from dialer import ivr
from dialer.access.policy import apply_field_policy
from dialer.errors import NotFound
from web.api.common import body, ok
from web.api.schemas_ivr import SurveyIn
from web.context import ctx
from web.forms import int_param
from web.views.dialing.common import principal_of


async def contact_attrs(request: web.Request) -> web.StreamResponse:
    """The attributes a script reads aloud, through the token user's field policy (hidden, masked)."""
    who = principal_of(request)
    contact_id = int_param(request)
    async with ctx(request).pool.acquire() as conn:
        org_id, attrs = await ivr.contact(conn, contact_id)
    if not who.sees_org(org_id):
        raise NotFound(f"contact {contact_id}")  # not 403: ids of other organizations stay unknown
    return ok({"attrs": apply_field_policy(who, attrs)})


async def survey(request: web.Request) -> web.StreamResponse:
    who = principal_of(request)
    data = await body(request, SurveyIn)
    async with ctx(request).pool.acquire() as conn:
        if data.contact_id is not None:
            org_id, _ = await ivr.contact(conn, data.contact_id)
            if not who.sees_org(org_id):
                raise NotFound(f"contact {data.contact_id}")
        saved = await ivr.save_survey(conn, request.match_info["call_id"], data.score, data.contact_id, who.user_id)
    return ok(saved, 201)

"""The RefPage of every campaign-configuration object: its URL, page key and table."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dialer.campaigns.codes import CODE_GROUPS, CODES
from dialer.campaigns.integrations import INTEGRATIONS
from dialer.campaigns.operators import OPERATORS, PHONE_MASKS, SKILLS
from dialer.campaigns.restrictions import RESTRICTIONS
from dialer.campaigns.scripts import SCRIPTS
from dialer.campaigns.strategies import STRATEGIES
from dialer.campaigns.telephony import (
    CALLER_ID_GROUPS,
    CALLER_IDS,
    CONNECTOR_MODES,
    CONNECTORS,
    IVR_NUMBERS,
    QUEUES,
)
from dialer.campaigns.templates import TEMPLATES
from web.table import Column, TableSpec
from web.views.campaigns.crud import Note, RefPage
from web.views.campaigns.directories import current_connector_mode
from web.views.campaigns.rule_summary import summary_of


def _spec(name: str, alias: str, table: str, columns: tuple[Column, ...], default: str = "name") -> TableSpec:
    return TableSpec(
        name=name,
        columns=columns,
        from_sql=f"FROM {table} {alias}",
        default_sort=default,
        select_extra=(f"{alias}.id AS id",),
        tiebreak=f"{alias}.id",
    )


async def connector_extra(request: web.Request) -> dict[str, Any]:
    return {"mode": await current_connector_mode(request), "modes": CONNECTOR_MODES}


def strategy_notes(values: dict[str, Any]) -> list[Note]:
    start, end = str(values.get("window_start") or ""), str(values.get("window_end") or "")
    if len(start) >= 4 and len(end) >= 4 and end.zfill(5) < start.zfill(5):
        return [
            (
                "The call window crosses midnight: calls go from {start} to {end} of the next day",
                {"start": start, "end": end},
            )
        ]
    return []


CODES_PAGE = RefPage(
    CODES,
    "/campaigns/codes",
    "campaigns.codes",
    _spec(
        "codes",
        "c",
        "completion_codes",
        (
            Column("name", "Name", "c.name", searchable=True),
            Column("key", "Key", "c.key", searchable=True),
            Column("used_by", "Used by", "c.used_by"),
            Column("system", "System", "c.system"),
            Column("description", "Description", "c.description", searchable=True),
        ),
    ),
)

CODE_GROUPS_PAGE = RefPage(
    CODE_GROUPS,
    "/campaigns/code-groups",
    "campaigns.code_groups",
    _spec(
        "code_groups",
        "g",
        "code_groups",
        (
            Column("name", "Name", "g.name", searchable=True),
            Column("codes", "Codes", "(SELECT count(*) FROM code_group_members m WHERE m.group_id = g.id)"),
            Column("description", "Description", "g.description", searchable=True),
        ),
    ),
)

SCRIPTS_PAGE = RefPage(
    SCRIPTS,
    "/campaigns/scripts",
    "campaigns.scripts",
    _spec(
        "scripts",
        "s",
        "scripts",
        (
            Column("name", "Name", "s.name", searchable=True),
            Column(
                "questions", "Questions", "(SELECT count(*) FROM script_questions q WHERE q.script_id = s.id)"
            ),
            Column("description", "Description", "s.description", searchable=True),
        ),
    ),
)

STRATEGIES_PAGE = RefPage(
    STRATEGIES,
    "/campaigns/strategies",
    "campaigns.strategies",
    _spec(
        "strategies",
        "s",
        "strategies",
        (
            Column("name", "Name", "s.name", searchable=True),
            Column("dial_mode", "Dial mode", "s.dial_mode", searchable=True),
            Column(
                "window",
                "Call window",
                "to_char(s.window_start, 'HH24:MI') || '–' || to_char(s.window_end, 'HH24:MI')",
                sortable=False,
            ),
            Column("max_attempts", "Maximum attempts per contact", "s.max_attempts"),
            Column("description", "Description", "s.description", searchable=True),
        ),
    ),
    notes=strategy_notes,
    form_template="campaigns/strategy_form.html",
    form_extra=lambda values: {"rule_summary": summary_of(values.get("rules"))},
    defaults=(
        ("dial_mode", "progressive"),
        ("calls_per_operator", "1"),
        ("sip_id_type", "contact"),
        ("window_start", "09:00"),
        ("window_end", "21:00"),
        ("ring_timeout", 30),
        ("quality_percent", 0),
        ("rules", '{"interval_seconds": 600, "working": [], "holiday": []}'),
    ),
)

SKILLS_PAGE = RefPage(
    SKILLS,
    "/operators/skills",
    "operators.skills",
    _spec(
        "skills",
        "s",
        "skills",
        (
            Column("name", "Name", "s.name", searchable=True),
            Column(
                "operators", "Operators", "(SELECT count(*) FROM operator_skills os WHERE os.skill_id = s.id)"
            ),
            Column("description", "Description", "s.description", searchable=True),
        ),
    ),
)

OPERATORS_PAGE = RefPage(
    OPERATORS,
    "/operators/operators",
    "operators.operators",
    TableSpec(
        name="operators",
        columns=(
            Column("name", "Name", "o.name", searchable=True),
            Column("login", "User login", "u.login", searchable=True),
            Column("organization", "Organization", "org.name", searchable=True),
            Column(
                "phones",
                "Phone numbers",
                "(SELECT string_agg(p.number, ', ' ORDER BY p.number) FROM operator_phones p "
                "WHERE p.operator_id = o.id)",
                searchable=True,
            ),
        ),
        from_sql="FROM operators o JOIN users u ON u.id = o.user_id "
        "LEFT JOIN organizations org ON org.id = o.organization_id",
        default_sort="name",
        select_extra=("o.id AS id",),
        tiebreak="o.id",
    ),
    org_sql="o.organization_id",
)

PHONE_MASKS_PAGE = RefPage(
    PHONE_MASKS,
    "/operators/phone-masks",
    "operators.phone_masks",
    _spec(
        "phone_masks",
        "m",
        "phone_masks",
        (
            Column("mask", "Mask", "m.mask", searchable=True),
            Column("description", "Description", "m.description", searchable=True),
        ),
        default="mask",
    ),
)

INTEGRATIONS_PAGE = RefPage(
    INTEGRATIONS,
    "/operators/integrations",
    "operators.integrations",
    _spec(
        "integrations",
        "i",
        "integrations",
        (
            Column("name", "Name", "i.name", searchable=True),
            Column("url_template", "URL template", "i.url_template", searchable=True),
            Column("active", "Active", "i.active"),
            Column("open_by_default", "Open by default", "i.open_by_default"),
        ),
    ),
    defaults=(("active", True),),
)

RESTRICTIONS_PAGE = RefPage(
    RESTRICTIONS,
    "/operators/restrictions",
    "operators.restrictions",
    _spec(
        "restrictions",
        "r",
        "restrictions",
        (
            Column("name", "Name", "r.name", searchable=True),
            Column("url_template", "URL template", "r.url_template", searchable=True),
            Column("expected_result", "Expected result", "r.expected_result"),
        ),
    ),
)

TEMPLATES_PAGE = RefPage(
    TEMPLATES,
    "/messaging/templates",
    "messaging.templates",
    _spec(
        "templates",
        "t",
        "notification_templates",
        (
            Column("name", "Name", "t.name", searchable=True),
            Column("channel", "Channel", "t.channel"),
            Column("body", "Text", "t.body", searchable=True),
        ),
    ),
)

CALLER_IDS_PAGE = RefPage(
    CALLER_IDS,
    "/directories/caller-ids",
    "directories.caller_ids",
    _spec(
        "caller_ids",
        "c",
        "caller_ids",
        (
            Column("number", "Number", "c.number", searchable=True),
            Column("description", "Description", "c.description", searchable=True),
            Column(
                "groups",
                "Groups",
                "(SELECT string_agg(g.name, ', ' ORDER BY g.name) FROM caller_id_group_members m "
                "JOIN caller_id_groups g ON g.id = m.group_id WHERE m.caller_id_id = c.id)",
                searchable=True,
            ),
        ),
        default="number",
    ),
    list_template="directories/caller_ids.html",
)

CALLER_ID_GROUPS_PAGE = RefPage(
    CALLER_ID_GROUPS,
    "/directories/caller-id-groups",
    "directories.caller_id_groups",
    _spec(
        "caller_id_groups",
        "g",
        "caller_id_groups",
        (
            Column("name", "Name", "g.name", searchable=True),
            Column(
                "numbers",
                "Numbers",
                "(SELECT count(*) FROM caller_id_group_members m WHERE m.group_id = g.id)",
            ),
            Column("description", "Description", "g.description", searchable=True),
        ),
    ),
)

CONNECTORS_PAGE = RefPage(
    CONNECTORS,
    "/directories/connectors",
    "directories.connectors",
    _spec(
        "connectors",
        "c",
        "connectors",
        (
            Column("name", "Name", "c.name", searchable=True),
            Column("address", "Address", "c.address", searchable=True),
            Column("position", "Order", "c.position"),
            Column("capacity", "Capacity", "c.capacity"),
            Column("active", "Active", "c.active"),
        ),
        default="position",
    ),
    list_template="directories/connectors.html",
    list_extra=connector_extra,
    defaults=(("active", True), ("position", 1)),
)

IVR_NUMBERS_PAGE = RefPage(
    IVR_NUMBERS,
    "/directories/ivr-numbers",
    "directories.ivr_numbers",
    _spec(
        "ivr_numbers",
        "i",
        "ivr_numbers",
        (
            Column("name", "Name", "i.name", searchable=True),
            Column("number", "Number", "i.number", searchable=True),
            Column("description", "Description", "i.description", searchable=True),
        ),
    ),
)

QUEUES_PAGE = RefPage(
    QUEUES,
    "/directories/queues",
    "directories.queues",
    TableSpec(
        name="queues",
        columns=(
            Column("name", "Name", "q.name", searchable=True),
            Column("number", "Number", "q.number", searchable=True),
            Column("identifier", "Identifier", "q.identifier", searchable=True),
            Column("organization", "Organization", "org.name", searchable=True),
        ),
        from_sql="FROM queues q LEFT JOIN organizations org ON org.id = q.organization_id",
        default_sort="name",
        select_extra=("q.id AS id",),
        tiebreak="q.id",
    ),
    org_sql="q.organization_id",
)

ALL_PAGES: tuple[RefPage, ...] = (
    CODES_PAGE,
    CODE_GROUPS_PAGE,
    SCRIPTS_PAGE,
    STRATEGIES_PAGE,
    SKILLS_PAGE,
    OPERATORS_PAGE,
    PHONE_MASKS_PAGE,
    INTEGRATIONS_PAGE,
    RESTRICTIONS_PAGE,
    CALLER_IDS_PAGE,
    CALLER_ID_GROUPS_PAGE,
    CONNECTORS_PAGE,
    IVR_NUMBERS_PAGE,
    QUEUES_PAGE,
    TEMPLATES_PAGE,
)

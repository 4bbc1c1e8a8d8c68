"""The catalog of portal sections, pages, objects and reports that roles grant.

Feature modules register their pages here at import time, so the role editor, the
navigation and the route guard all read one list.
"""

from __future__ import annotations

from dataclasses import dataclass

# The spec's sections, in the order of the navigation (R1, original section 4.2).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("monitoring", "Monitoring"),
    ("campaigns", "Campaigns"),
    ("contacts", "Contacts"),
    ("operators", "Operators"),
    ("directories", "Directories"),
    ("messaging", "Non-voice communications"),
    ("reports", "Reports"),
    ("supervisor", "Supervisor"),
    ("settings", "Settings"),
)
SECTION_KEYS = frozenset(k for k, _ in SECTIONS)


@dataclass(frozen=True)
class Page:
    key: str
    section: str
    title: str  # English message id; translated by the catalogs
    url: str
    presets: frozenset[str]  # preset roles that get it by default (administrator gets all)


@dataclass(frozen=True)
class ObjectKind:
    key: str
    title: str
    presets_full: frozenset[str]
    presets_read: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Report:
    key: str
    title: str


_pages: dict[str, Page] = {}
_objects: dict[str, ObjectKind] = {}
_reports: dict[str, Report] = {}


def register_page(key: str, section: str, title: str, url: str, presets: tuple[str, ...] = ()) -> Page:
    if section not in SECTION_KEYS:
        raise ValueError(f"unknown section {section!r} for page {key!r}")
    page = Page(key, section, title, url, frozenset(presets))
    _pages[key] = page
    return page


def register_object(
    key: str, title: str, full: tuple[str, ...] = (), read: tuple[str, ...] = ()
) -> ObjectKind:
    obj = ObjectKind(key, title, frozenset(full), frozenset(read))
    _objects[key] = obj
    return obj


def register_report(key: str, title: str) -> Report:
    rep = Report(key, title)
    _reports[key] = rep
    return rep


def pages() -> list[Page]:
    return list(_pages.values())


def page(key: str) -> Page | None:
    return _pages.get(key)


def objects() -> list[ObjectKind]:
    return list(_objects.values())


def reports() -> list[Report]:
    return list(_reports.values())


def pages_by_section() -> list[tuple[str, str, list[Page]]]:
    return [(k, title, [p for p in _pages.values() if p.section == k]) for k, title in SECTIONS]


# --- the platform's own entries ------------------------------------------------------------
register_page("monitoring.status", "monitoring", "System status", "/monitoring/status", ("supervisor",))
register_page("reports.user_actions", "reports", "User actions", "/reports/user-actions", ("auditor",))
register_page("settings.users", "settings", "Users", "/settings/users")
register_page("settings.roles", "settings", "Roles", "/settings/roles")
register_page("settings.organizations", "settings", "Organizations", "/settings/organizations")
register_page("settings.mail", "settings", "Mail settings", "/settings/mail")

register_object("users", "Users")
register_object("roles", "Roles")
register_object("organizations", "Organizations", read=("supervisor",))
register_object("mail_settings", "Mail settings")
register_object("audit", "User actions", read=("auditor",))
register_object("monitoring", "Monitoring", read=("supervisor",))

register_report("user_actions", "User actions")

# --- contacts (R3) ------------------------------------------------------------------------
register_page("contacts.lists", "contacts", "Contact lists", "/contacts/lists", ("supervisor",))
register_page("contacts.fields", "contacts", "Fields", "/contacts/fields", ("supervisor",))
register_page("contacts.imports", "contacts", "Import jobs", "/contacts/imports", ("supervisor",))
register_page("contacts.dnc", "contacts", "DNC lists", "/contacts/dnc", ("supervisor",))
register_page("contacts.filters", "contacts", "Filters", "/contacts/filters", ("supervisor",))
register_object("contact_lists", "Contact lists", full=("supervisor",))
register_object("contacts", "Contacts", full=("supervisor",))
register_object("fields", "Contact fields", full=("supervisor",))
register_object("dnc_lists", "DNC lists", full=("supervisor",))
register_object("filters", "Filters", full=("supervisor",))
register_page("contacts.sources", "contacts", "Data sources", "/contacts/sources", ("supervisor",))
register_object("data_sources", "Data sources", full=("supervisor",))
register_page("directories.phone_codes", "directories", "Phone codes", "/directories/phone-codes", ("supervisor",))
register_page(
    "directories.number_ranges", "directories", "Number ranges", "/directories/number-ranges", ("supervisor",)
)
register_page("directories.calendar", "directories", "Production calendar", "/directories/calendar", ("supervisor",))
register_object("phone_codes", "Phone codes", full=("supervisor",))
register_object("number_ranges", "Number ranges", full=("supervisor",))
register_object("calendar", "Production calendar", full=("supervisor",))

# --- campaign configuration (R2.1-R2.4, R4.1-R4.9) ---------------------------------------------
# Supervisors run campaigns, so they get the campaigns section in full; directories,
# operators and templates stay with the administrator unless a role grants them.
for _key, _section, _title, _url, _presets in (
    ("campaigns.codes", "campaigns", "Completion codes", "/campaigns/codes", ("supervisor",)),
    ("campaigns.code_groups", "campaigns", "Completion code groups", "/campaigns/code-groups", ("supervisor",)),
    ("campaigns.scripts", "campaigns", "Scripts", "/campaigns/scripts", ("supervisor",)),
    ("campaigns.strategies", "campaigns", "Strategies", "/campaigns/strategies", ("supervisor",)),
    ("operators.operators", "operators", "Operators", "/operators/operators", ()),
    ("operators.skills", "operators", "Skills", "/operators/skills", ()),
    ("operators.phone_masks", "operators", "Phone masks", "/operators/phone-masks", ()),
    ("operators.integrations", "operators", "Integrations", "/operators/integrations", ()),
    ("operators.restrictions", "operators", "Restrictions", "/operators/restrictions", ()),
    ("directories.caller_ids", "directories", "Caller IDs", "/directories/caller-ids", ()),
    ("directories.caller_id_groups", "directories", "Caller ID groups", "/directories/caller-id-groups", ()),
    ("directories.connectors", "directories", "Connectors", "/directories/connectors", ()),
    ("directories.ivr_numbers", "directories", "IVR numbers", "/directories/ivr-numbers", ()),
    ("directories.queues", "directories", "Queues", "/directories/queues", ()),
    ("messaging.templates", "messaging", "Notification templates", "/messaging/templates", ()),
):
    register_page(_key, _section, _title, _url, _presets)

register_object("completion_codes", "Completion codes", full=("supervisor",))
register_object("code_groups", "Completion code groups", full=("supervisor",))
register_object("scripts", "Scripts", full=("supervisor",))
register_object("strategies", "Strategies", full=("supervisor",))
for _key, _title in (
    ("operators", "Operators"),
    ("skills", "Skills"),
    ("phone_masks", "Phone masks"),
    ("integrations", "Integrations"),
    ("restrictions", "Restrictions"),
    ("caller_ids", "Caller IDs"),
    ("caller_id_groups", "Caller ID groups"),
    ("connectors", "Connectors"),
    ("ivr_numbers", "IVR numbers"),
    ("queues", "Queues"),
    ("notification_templates", "Notification templates"),
):
    register_object(_key, _title)

# --- answering-machine detection (issue #8, R6.2-R6.4) ---------------------------------------
register_page("settings.amd", "settings", "Detection module", "/settings/amd", ("supervisor",))
register_object("amd_samples", "AMD sample library", full=("supervisor",))
register_object("amd_models", "AMD classifier models", read=("supervisor",))

# --- running campaigns and callbacks (issue #4, R4.10, R4.11) ---------------------------------
register_page("campaigns.campaigns", "campaigns", "Campaigns", "/campaigns/campaigns", ("supervisor",))
register_page("campaigns.callbacks", "campaigns", "Callbacks", "/campaigns/callbacks", ("supervisor",))
register_object("campaigns", "Campaigns", full=("supervisor",))
register_object("callbacks", "Callbacks", full=("supervisor",))

# --- operator workplace, supervisor console, dashboards (issue #7, R7, R8) ----------------------
register_page("workplace", "operators", "Operator workplace", "/workplace", ("specialist",))
register_page("supervisor.console", "supervisor", "Supervisor console", "/supervisor/console", ("supervisor",))
register_page("supervisor.dashboards", "supervisor", "Dashboards", "/supervisor/dashboards", ("supervisor",))
register_object("supervision", "Operator and call control", full=("supervisor",))
register_object("dashboards", "Dashboards", full=("supervisor",))

# --- IVR scripts' API (R5.11): contact attributes read aloud, survey scores -----------------------
# Granted to the technical user whose token the switch's IVR scripts carry; no preset gets it.
register_object("ivr", "IVR script access")

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

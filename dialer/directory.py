"""Domain accounts from an LDAP directory (OpenLDAP, Active Directory, FreeIPA ...).

ldap3 is synchronous, so every directory round trip runs in a worker thread
(``asyncio.to_thread``) on a fresh connection: nothing is shared between threads, and a
directory restart never leaves a stale pooled connection behind.

Login is the usual two-step: the service account searches for the user by
``ldap_user_filter``, then a second connection binds as the found DN with the typed
password. The typed login only ever reaches the filter escaped, and an empty password is
refused before any network traffic, because a simple bind with a DN and no password is an
*unauthenticated* bind that many servers report as success (RFC 4513 §5.1.2).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ldap3
from ldap3.core import exceptions as ldap_exc
from ldap3.utils.conv import escape_filter_chars

from dialer.settings import Settings

log = logging.getLogger("dialer.ldap")

# Result codes (RFC 4511 §4.1.9) that mean "the directory cannot serve us now" rather than
# "this request is wrong": timeLimitExceeded, adminLimitExceeded, busy, unavailable, other, and
# the client-side codes for a lost server / timeout / failed connect.
_UNAVAILABLE_CODES = frozenset({3, 11, 51, 52, 80, 81, 85, 91})
_INVALID_CREDENTIALS = 49
_SIZE_LIMIT_EXCEEDED = 4
_NO_SUCH_OBJECT = 32
_BROWSE_MAX = 1000  # Active Directory's default MaxPageSize; more would need paged results.


@dataclass(frozen=True)
class DirectoryUser:
    login: str
    dn: str
    full_name: str
    email: str
    position: str


class DirectoryError(Exception):
    """The directory answered, but not in a way we can use (bad base DN, bad filter...)."""


class DirectoryUnavailable(DirectoryError):
    """The directory cannot be reached or refuses the service account; the message is
    meant for the login page and the administrator, and never contains a password."""


class LdapDirectory:
    def __init__(self, settings: Settings) -> None:
        self._url = settings.ldap_url
        self._bind_dn = settings.ldap_bind_dn
        self._bind_password = settings.ldap_bind_password
        self._base_dn = settings.ldap_base_dn
        self._user_filter = _parenthesized(settings.ldap_user_filter)
        self._browse_filter = _parenthesized(settings.ldap_browse_filter)
        self._attr_login = settings.ldap_attr_login
        self._attr_name = settings.ldap_attr_name
        self._attr_email = settings.ldap_attr_email
        self._attr_position = settings.ldap_attr_position
        self._timeout = settings.ldap_timeout_s

    @property
    def enabled(self) -> bool:
        return bool(self._url)

    # --- public, async -------------------------------------------------------------------

    async def authenticate(self, login: str, password: str) -> DirectoryUser | None:
        """The user when the password is right; None for an unknown user or a wrong password."""
        if not password or not login.strip():
            return None
        return await asyncio.to_thread(self._authenticate_sync, login.strip(), password)

    async def find(self, login: str) -> DirectoryUser | None:
        if not login.strip():
            return None
        return await asyncio.to_thread(self._find_sync, login.strip())

    async def browse(self, query: str = "", limit: int = 200) -> list[DirectoryUser]:
        """Users an administrator may add, sorted by name; ``query`` matches substrings of
        the login, the name and the e-mail."""
        limit = max(1, min(limit, _BROWSE_MAX))
        return await asyncio.to_thread(self._browse_sync, query.strip(), limit)

    # --- blocking parts (worker threads) --------------------------------------------------

    def _authenticate_sync(self, login: str, password: str) -> DirectoryUser | None:
        user = self._find_sync(login)
        if user is None:
            log.info("ldap login %r: no such user", login)
            return None
        conn = self._connection(user.dn, password)
        try:
            conn.open()
            if conn.bind():
                log.info("ldap login %r: ok (%s)", login, user.dn)
                return user
            code = int(conn.result.get("result", -1))
            if code in _UNAVAILABLE_CODES:
                raise DirectoryUnavailable(
                    f"LDAP server {self._url} cannot check passwords now: {_describe(conn.result)}"
                )
            # 49 is the usual wrong password; AD also says 49 for locked/expired/disabled
            # accounts. Anything else (e.g. 50 insufficientAccessRights) still means "no".
            if code != _INVALID_CREDENTIALS:
                log.warning("ldap login %r: bind as %s refused: %s", login, user.dn, _describe(conn.result))
            else:
                log.info("ldap login %r: wrong password", login)
            return None
        except ldap_exc.LDAPException as exc:
            raise self._unavailable(exc) from exc
        finally:
            _close(conn)

    def _find_sync(self, login: str) -> DirectoryUser | None:
        if "{login}" not in self._user_filter:
            # Without the placeholder every login would find the same entry (or none).
            raise DirectoryError(f"ldap_user_filter {self._user_filter!r} has no {{login}} placeholder")
        flt = self._user_filter.replace("{login}", escape_filter_chars(login))
        # Two is enough to notice an ambiguous filter without reading the whole directory.
        found = self._search(flt, size_limit=2)
        if len(found) > 1:
            log.warning("ldap filter %s matches several entries; refusing login %r", flt, login)
            return None
        return found[0] if found else None

    def _browse_sync(self, query: str, limit: int) -> list[DirectoryUser]:
        flt = self._browse_filter
        if query:
            q = escape_filter_chars(query)
            parts = "".join(
                f"({attr}=*{q}*)" for attr in (self._attr_login, self._attr_name, self._attr_email)
            )
            flt = f"(&{flt}(|{parts}))"
        users = self._search(flt, size_limit=limit)
        return sorted(users, key=lambda u: (u.full_name.casefold(), u.login.casefold()))

    def _search(self, flt: str, size_limit: int) -> list[DirectoryUser]:
        if self._bind_dn and not self._bind_password:
            # Same reason as for users: a DN without a password would be an unauthenticated
            # bind, which "succeeds" and then finds nothing.
            raise DirectoryUnavailable(f"LDAP service account {self._bind_dn} has no password configured")
        conn = self._connection(self._bind_dn, self._bind_password)
        try:
            conn.open()
            # The service bind happens on every request: when it fails the whole feature is
            # down for everyone, which is an administrator's problem, not a wrong password.
            if not conn.bind():
                raise DirectoryUnavailable(
                    f"LDAP server {self._url} refused the service account "
                    f"{self._bind_dn or '(anonymous)'}: {_describe(conn.result)}"
                )
            attrs = [self._attr_login, self._attr_name, self._attr_email, self._attr_position]
            conn.search(
                self._base_dn,
                flt,
                search_scope=ldap3.SUBTREE,
                attributes=attrs,
                size_limit=size_limit,
                time_limit=max(1, int(self._timeout)),
            )
            code = int(conn.result.get("result", -1))
            if code == _NO_SUCH_OBJECT:
                raise DirectoryError(f"LDAP search base {self._base_dn!r} does not exist on {self._url}")
            if code in _UNAVAILABLE_CODES:
                raise DirectoryUnavailable(
                    f"LDAP server {self._url} failed a search: {_describe(conn.result)}"
                )
            # sizeLimitExceeded still carries the first entries: a capped list is what we asked for.
            if code not in (0, _SIZE_LIMIT_EXCEEDED):
                raise DirectoryError(f"LDAP search {flt} failed on {self._url}: {_describe(conn.result)}")
            return [self._user(item) for item in conn.response or () if item.get("type") == "searchResEntry"]
        except ldap_exc.LDAPInvalidFilterError as exc:
            raise DirectoryError(f"LDAP filter {flt} is not valid: {exc}") from exc
        except ldap_exc.LDAPException as exc:
            raise self._unavailable(exc) from exc
        finally:
            _close(conn)

    # --- helpers --------------------------------------------------------------------------

    def _connection(self, user: str | None, password: str | None) -> ldap3.Connection:
        if not self._url:
            raise DirectoryError("LDAP is not configured (ldap_url is empty)")
        # get_info=NONE: reading the schema costs a round trip per connection and we decode
        # attribute values ourselves (raw UTF-8), so it would buy nothing.
        server = ldap3.Server(self._url, connect_timeout=self._timeout, get_info=ldap3.NONE)
        return ldap3.Connection(
            server,
            user=user,
            password=password,
            authentication=ldap3.SIMPLE if user else ldap3.ANONYMOUS,
            # ldap3 packs this into SO_RCVTIMEO as whole seconds (struct "LL"); a float crashes it.
            receive_timeout=max(1, math.ceil(self._timeout)),
            read_only=True,
            auto_referrals=False,
            raise_exceptions=False,
        )

    def _unavailable(self, exc: Exception) -> DirectoryUnavailable:
        log.warning("ldap server %s unavailable: %s", self._url, exc)
        return DirectoryUnavailable(f"LDAP server {self._url} is not reachable: {exc}")

    def _user(self, item: Mapping[str, Any]) -> DirectoryUser:
        raw = item.get("raw_attributes") or {}
        return DirectoryUser(
            login=_first(raw, self._attr_login),
            dn=str(item.get("dn", "")),
            full_name=_first(raw, self._attr_name),
            email=_first(raw, self._attr_email),
            position=_first(raw, self._attr_position),
        )


def _parenthesized(flt: str) -> str:
    # Administrators often paste "objectClass=person" without the outer parentheses.
    flt = flt.strip()
    return flt if flt.startswith("(") else f"({flt})"


def _first(raw: Mapping[str, Sequence[bytes]], attr: str) -> str:
    """First value of an attribute as text; missing attributes are ""."""
    # ldap3 gives a case-insensitive dict, but look the name up case-insensitively anyway
    # so a plain dict (other ldap3 strategies) behaves the same.
    values = raw.get(attr)
    if values is None:
        values = next((v for k, v in raw.items() if k.lower() == attr.lower()), None)
    if not values:
        return ""
    value = values[0]
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _describe(result: Mapping[str, Any]) -> str:
    desc = result.get("description") or "error"
    msg = result.get("message") or ""
    return f"{desc} ({result.get('result')}){': ' + msg if msg else ''}"


def _close(conn: ldap3.Connection) -> None:
    try:
        conn.unbind()
    except ldap_exc.LDAPException:
        # The server is gone already; the socket is closed either way.
        log.debug("ldap unbind failed", exc_info=True)

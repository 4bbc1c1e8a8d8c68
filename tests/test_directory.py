"""LdapDirectory against a real OpenLDAP (tests/servers.py starts it)."""

from __future__ import annotations

import socket
import time

import pytest

from dialer.directory import DirectoryError, DirectoryUnavailable, DirectoryUser, LdapDirectory
from dialer.settings import Settings
from tests.fixtures_servers import slapd_server
from tests.servers import SlapdServer, free_port

pytestmark = pytest.mark.ldap

__all__ = ["slapd_server"]  # the fixture is imported for pytest, not used by name here


def make_dir(server: SlapdServer, **overrides: object) -> LdapDirectory:
    values: dict[str, object] = {
        "ldap_url": server.url,
        "ldap_bind_dn": server.bind_dn,
        "ldap_bind_password": server.bind_password,
        "ldap_base_dn": server.base_dn,
        "ldap_timeout_s": 3.0,
    }
    values.update(overrides)
    return LdapDirectory(Settings(**values))  # type: ignore[arg-type]


async def test_authenticate_ok_with_cyrillic_name_and_password(slapd_server: SlapdServer) -> None:
    directory = make_dir(slapd_server)
    assert directory.enabled
    user = await directory.authenticate("ivanov", slapd_server.users["ivanov"])
    assert user == DirectoryUser(
        login="ivanov",
        dn=slapd_server.user_dn("ivanov"),
        full_name="Иванов Иван",
        email="ivanov@example.org",
        position="Оператор",
    )


async def test_authenticate_password_with_filter_metacharacters(slapd_server: SlapdServer) -> None:
    user = await make_dir(slapd_server).authenticate("jsmith", "js-pass(*)")
    assert user is not None and user.full_name == "John Smith"


async def test_wrong_password_unknown_user_empty_password(slapd_server: SlapdServer) -> None:
    directory = make_dir(slapd_server)
    assert await directory.authenticate("ivanov", "wrong") is None
    assert await directory.authenticate("nobody", "whatever") is None
    # An empty password would be an unauthenticated bind, which slapd may accept.
    assert await directory.authenticate("ivanov", "") is None
    assert await directory.authenticate("", slapd_server.users["ivanov"]) is None


async def test_filter_injection_is_escaped(slapd_server: SlapdServer) -> None:
    directory = make_dir(slapd_server)
    for login in ("*)(uid=*", "*", "ivanov)(|(uid=*", "iva*", "ivanov\\"):
        assert await directory.find(login) is None, login
        assert await directory.authenticate(login, slapd_server.users["ivanov"]) is None, login


async def test_find_and_missing_attributes(slapd_server: SlapdServer) -> None:
    directory = make_dir(slapd_server)
    user = await directory.find("nomail")
    assert user is not None
    assert (user.full_name, user.email, user.position) == ("Без Почты", "", "")
    assert await directory.find("nobody") is None
    # uid matches case-insensitively; the login returned is the directory's spelling.
    upper = await directory.find("IVANOV")
    assert upper is not None and upper.login == "ivanov"


async def test_user_filter_without_placeholder_is_an_error(slapd_server: SlapdServer) -> None:
    directory = make_dir(slapd_server, ldap_user_filter="(objectClass=inetOrgPerson)")
    with pytest.raises(DirectoryError, match="placeholder"):
        await directory.authenticate("ivanov", slapd_server.users["ivanov"])


async def test_browse_all_and_by_query(slapd_server: SlapdServer) -> None:
    directory = make_dir(slapd_server)
    everyone = await directory.browse()
    assert {u.login for u in everyone} == set(slapd_server.users)
    names = [u.full_name for u in everyone]
    assert names == sorted(names, key=str.casefold)

    assert [u.login for u in await directory.browse("Иван")] == ["ivanov"]
    assert [u.login for u in await directory.browse("иван")] == ["ivanov"]  # case-insensitive match
    assert [u.login for u in await directory.browse("petrova@")] == ["petrova"]
    assert [u.login for u in await directory.browse("smi")] == ["jsmith"]
    assert await directory.browse("*") == []  # a literal asterisk, not a wildcard
    assert await directory.browse(")(uid=*") == []
    assert len(await directory.browse(limit=2)) == 2


async def test_bad_service_password_is_unavailable(slapd_server: SlapdServer) -> None:
    directory = make_dir(slapd_server, ldap_bind_password="wrong")
    with pytest.raises(DirectoryUnavailable, match="service account"):
        await directory.authenticate("ivanov", slapd_server.users["ivanov"])
    with pytest.raises(DirectoryUnavailable):
        await directory.browse()


async def test_wrong_base_dn_is_an_error(slapd_server: SlapdServer) -> None:
    directory = make_dir(slapd_server, ldap_base_dn="ou=nowhere,dc=example,dc=org")
    with pytest.raises(DirectoryError) as info:
        await directory.find("ivanov")
    assert not isinstance(info.value, DirectoryUnavailable)


async def test_server_stopped_is_unavailable(slapd_server: SlapdServer) -> None:
    directory = make_dir(slapd_server)
    with slapd_server.stopped():
        started = time.monotonic()
        with pytest.raises(DirectoryUnavailable):
            await directory.authenticate("ivanov", slapd_server.users["ivanov"])
        with pytest.raises(DirectoryUnavailable):
            await directory.browse()
        assert time.monotonic() - started < 10
    # Back up: a fresh connection per request means no stale state after the outage.
    assert await directory.authenticate("ivanov", slapd_server.users["ivanov"]) is not None


async def test_nothing_listening_is_unavailable(slapd_server: SlapdServer) -> None:
    directory = make_dir(slapd_server, ldap_url=f"ldap://127.0.0.1:{free_port()}", ldap_timeout_s=1.0)
    with pytest.raises(DirectoryUnavailable, match="not reachable"):
        await directory.find("ivanov")


def test_disabled_without_url() -> None:
    assert not LdapDirectory(Settings(ldap_url=None)).enabled


async def test_hung_server_times_out_as_unavailable(slapd_server: SlapdServer) -> None:
    # A listening socket nobody accepts from: the kernel completes the TCP handshake, then
    # nothing ever answers, like a frozen directory server.
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        port = hung.getsockname()[1]
        directory = make_dir(slapd_server, ldap_url=f"ldap://127.0.0.1:{port}", ldap_timeout_s=1.0)
        started = time.monotonic()
        with pytest.raises(DirectoryUnavailable):
            await directory.authenticate("ivanov", slapd_server.users["ivanov"])
        assert time.monotonic() - started < 5

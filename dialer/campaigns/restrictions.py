"""Restrictions (R4.6): a web request made before a contact is dialed.

The response body, trimmed, must equal the expected result, or the contact is skipped.
A failed request (timeout, refused connection, HTTP error) also skips it: dialing a
contact that an external system could not clear is the riskier mistake. Answers are
cached briefly because a campaign asks about the same contact over and over.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from dialer.campaigns.integrations import check_url_template, render_url
from dialer.campaigns.refs import Field, RefKind

log = logging.getLogger("dialer.campaigns")

TIMEOUT_S = 3.0
CACHE_TTL_S = 60.0


@dataclass(frozen=True)
class Restriction:
    id: int
    url_template: str
    expected_result: str
    method: str = "GET"


class ResultCache:
    """(restriction, rendered URL) -> verdict, for ``ttl`` seconds; bounded in size."""

    def __init__(
        self, ttl: float = CACHE_TTL_S, clock: Callable[[], float] = time.monotonic, size: int = 10_000
    ):
        self.ttl, self.clock, self.size = ttl, clock, size
        self._items: dict[tuple[int, str, str], tuple[float, bool]] = {}

    def get(self, key: tuple[int, str, str]) -> bool | None:
        item = self._items.get(key)
        if item is None or item[0] <= self.clock():
            self._items.pop(key, None)
            return None
        return item[1]

    def put(self, key: tuple[int, str, str], verdict: bool) -> None:
        if len(self._items) >= self.size:
            now = self.clock()
            self._items = {k: v for k, v in self._items.items() if v[0] > now}
            if len(self._items) >= self.size:
                self._items.pop(next(iter(self._items)))
        self._items[key] = (self.clock() + self.ttl, verdict)


_CACHE = ResultCache()


async def check_restriction(
    restriction: Restriction,
    contact_attrs: Mapping[str, Any],
    *,
    session: aiohttp.ClientSession | None = None,
    cache: ResultCache | None = None,
    timeout_s: float = TIMEOUT_S,
) -> bool:
    """True when the contact may be dialed."""
    cache = _CACHE if cache is None else cache
    url = render_url(restriction.url_template, contact_attrs)
    key = (restriction.id, restriction.method, url)
    cached = cache.get(key)
    if cached is not None:
        return cached
    own = session is None
    client = aiohttp.ClientSession() if session is None else session
    try:
        async with client.request(
            restriction.method, url, timeout=aiohttp.ClientTimeout(total=timeout_s)
        ) as resp:
            text = (await resp.text()).strip()
            verdict = resp.status < 400 and text == restriction.expected_result.strip()
    except (TimeoutError, aiohttp.ClientError) as exc:
        log.warning("restriction %s: %s failed (%s); the contact is skipped", restriction.id, url, exc)
        verdict = False
    finally:
        if own:
            await client.close()
    cache.put(key, verdict)
    return verdict


RESTRICTIONS = RefKind(
    key="restrictions",
    table="restrictions",
    title="Restrictions",
    singular="Restriction",
    fields=(
        Field("name", "Name", required=True),
        Field("method", "Method", "choice", required=True, choices=(("GET", "GET"), ("POST", "POST"))),
        Field(
            "url_template",
            "URL template",
            required=True,
            max_len=2000,
            help="Contact fields in braces: https://check.example/?phone={phone}",
        ),
        Field(
            "expected_result",
            "Expected result",
            required=True,
            max_len=500,
            help="The response text that allows dialing",
        ),
        Field("description", "Description", "textarea", max_len=2000),
    ),
    check=check_url_template,
)

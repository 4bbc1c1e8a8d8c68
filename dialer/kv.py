"""Redis for live state and fan-out, or an in-process stand-in with the same interface.

Everything goes through :class:`LiveStore` so the prefix is applied in one place and tests
can share one Redis server without seeing each other's keys.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis

log = logging.getLogger("dialer.redis")


class LiveStore:
    def __init__(self, client: aioredis.Redis, prefix: str, embedded: bool) -> None:
        self.client = client
        self.prefix = prefix
        self.embedded = embedded

    def key(self, *parts: object) -> str:
        return self.prefix + ":".join(str(p) for p in parts)

    async def get(self, *parts: object) -> str | None:
        value = await self.client.get(self.key(*parts))
        return value.decode() if isinstance(value, bytes) else value

    async def set(self, *parts: object, value: str, ttl_s: int | None = None) -> None:
        await self.client.set(self.key(*parts), value, ex=ttl_s)

    async def delete(self, *parts: object) -> None:
        await self.client.delete(self.key(*parts))

    async def incr_window(self, *parts: object, window_s: int) -> int:
        """Count an event in a fixed window that starts with the first event."""
        name = self.key(*parts)
        pipe = self.client.pipeline()
        pipe.incr(name)
        pipe.expire(name, window_s, nx=True)
        count, _ = await pipe.execute()
        return int(count)

    async def publish(self, channel: str, message: str) -> None:
        await self.client.publish(self.key("ch", channel), message)

    async def subscribe(self, channel: str) -> AsyncIterator[str]:
        pubsub = self.client.pubsub()
        await pubsub.subscribe(self.key("ch", channel))
        try:
            async for msg in pubsub.listen():
                if msg.get("type") == "message":
                    data: Any = msg["data"]
                    yield data.decode() if isinstance(data, bytes) else str(data)
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()

    async def ping(self) -> bool:
        return bool(await self.client.ping())

    async def delete_prefix(self) -> None:
        """Remove every key under this store's prefix (tests and demo resets)."""
        async for name in self.client.scan_iter(match=self.prefix + "*", count=500):
            await self.client.delete(name)

    async def close(self) -> None:
        await self.client.aclose()


def connect_live_store(url: str | None, prefix: str) -> LiveStore:
    if url:
        return LiveStore(aioredis.from_url(url), prefix, embedded=False)
    # fakeredis keeps the data in this process: fine for one-process demo, never for a
    # split web/engine deployment, which is why serve --role refuses to run without REDIS_URL.
    import fakeredis

    log.warning("REDIS_URL is not set: live state is kept in this process")
    return LiveStore(fakeredis.aioredis.FakeRedis(), prefix, embedded=True)

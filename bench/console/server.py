"""The web process of the console benchmark, alone in its process so its CPU can be measured.

``python -m bench.console.server <dsn> <redis-url> <live-prefix> <port-file>``
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from aiohttp import web

from dialer.db import create_pool
from dialer.directory import LdapDirectory
from dialer.kv import connect_live_store
from dialer.secretbox import SecretBox
from dialer.settings import Settings


async def serve(dsn: str, redis_url: str, prefix: str, port_file: Path) -> None:
    from web.app import create_app
    from web.context import AppContext

    settings = Settings(database_url=dsn, redis_url=redis_url, secret_key="b" * 40, switch="simulated")
    pool = await create_pool(dsn, 1, 8)
    live = connect_live_store(redis_url, prefix)
    ctx = AppContext(settings=settings, pool=pool, live=live, directory=LdapDirectory(settings),
                     box=SecretBox(settings.effective_secret_key()))
    runner = web.AppRunner(create_app(ctx), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    await asyncio.to_thread(port_file.write_text, str(runner.addresses[0][1]))
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])))

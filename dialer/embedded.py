"""An embedded PostgreSQL for a machine that has none (demo, first try-out)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("dialer.embedded")


class EmbeddedPostgres:
    """pgserver runs a private PostgreSQL on a Unix socket under the data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.path = (data_dir / "pg").resolve()
        self._server: Any = None

    def start(self) -> str:
        import pgserver

        self.path.parent.mkdir(parents=True, exist_ok=True)
        # "stop" ends the server with the last process using it; the data folder stays, so demo
        # data survive a restart and nothing is left running after Ctrl+C.
        self._server = pgserver.get_server(self.path, cleanup_mode="stop")
        uri = str(self._server.get_uri())
        log.info("embedded PostgreSQL running under %s", self.path)
        return uri

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None

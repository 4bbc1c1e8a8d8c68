"""The README's first command on a machine without PostgreSQL or Redis settings."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.servers import free_port

pytestmark = pytest.mark.slow


def _read_banner(proc: subprocess.Popen[str], timeout_s: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout_s
    seen: dict[str, str] = {}
    lines: list[str] = []
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    while time.monotonic() < deadline and "Password" not in seen:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
            continue
        lines.append(line)
        match = re.match(r"\s+(Portal|Login|Password):\s+(\S+)", line)
        if match:
            seen[match.group(1)] = match.group(2)
    assert "Password" in seen, "no banner; output:\n" + "".join(lines[-40:])
    return seen


def _drain(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), True)
    for _ in proc.stdout:
        pass


def test_demo_serves_a_russian_login_and_the_admin_signs_in(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"DIALER_DATA_DIR": str(tmp_path / "var"), "DIALER_PORT": str(port), "PYTHONUNBUFFERED": "1"})
    proc = subprocess.Popen([sys.executable, "-m", "dialer.cli", "demo"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path)
    drain: threading.Thread | None = None
    try:
        banner = _read_banner(proc, 90)
        # Keep reading the log: a full pipe would block the demo and stall its shutdown.
        drain = threading.Thread(target=_drain, args=(proc,), daemon=True)
        drain.start()
        base = banner["Portal"]
        assert base == f"http://127.0.0.1:{port}" and banner["Login"] == "admin"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = opener.open(base + "/login", timeout=10).read().decode()
        assert "Вход" in page
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        form = urllib.parse.urlencode({"login": "admin", "password": banner["Password"], "_csrf": csrf}).encode()
        home = opener.open(base + "/login", data=form, timeout=10).read().decode()  # follows the redirect
        assert "Настройки" in home and "Администратор" in home
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert not (tmp_path / "var" / "pg" / "postmaster.pid").exists(), "the embedded PostgreSQL was left running"

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.cli import main
from dialer.settings import SettingsError, load_settings


def test_defaults_are_secure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings(data_dir=tmp_path)
    assert s.host == "127.0.0.1"  # not exposed to the network by default
    key = s.effective_secret_key()
    assert len(key) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert s.effective_secret_key() == key  # kept across restarts


def test_bare_database_url_and_prefixed_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("DIALER_PORT", "9000")
    s = load_settings()
    assert s.database_url == "postgresql://u@h/db"
    assert s.port == 9000


@pytest.mark.parametrize(
    ("env", "value", "named"),
    [
        ("DIALER_PORT", "99999", "port (DIALER_PORT)"),
        ("DIALER_SESSION_IDLE_MINUTES", "zero", "session_idle_minutes (DIALER_SESSION_IDLE_MINUTES)"),
        ("DIALER_SECRET_KEY", "short", "secret_key (DIALER_SECRET_KEY)"),
        ("DATABASE_URL", "mysql://x", "database_url"),
        ("DIALER_LOG_LEVEL", "LOUD", "log_level (DIALER_LOG_LEVEL)"),
    ],
)
def test_a_wrong_value_names_the_setting(monkeypatch: pytest.MonkeyPatch, env: str, value: str, named: str) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert named in str(err.value)


def test_yaml_file_is_read_and_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "dialer.yaml"
    cfg.write_text("port: 8111\nhost: 0.0.0.0\n")
    monkeypatch.setenv("DIALER_CONFIG_FILE", str(cfg))
    monkeypatch.setenv("DIALER_HOST", "127.0.0.2")
    s = load_settings()
    assert s.port == 8111
    assert s.host == "127.0.0.2"


def test_cli_stops_with_the_setting_named(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DIALER_PORT", "-1")
    with pytest.raises(SystemExit) as exit_info:
        main(["migrate", "--dry-run"])
    assert exit_info.value.code == 2
    assert "DIALER_PORT" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.startswith("dialer ")

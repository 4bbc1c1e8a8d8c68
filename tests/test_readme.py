"""The README is the configuration reference: every setting must be in its table."""

from __future__ import annotations

from pathlib import Path

from dialer.settings import Settings, env_name

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_and_its_variable_is_documented() -> None:
    missing = [n for n in Settings.model_fields if f"`{n}`" not in README or env_name(n) not in README]
    assert missing == [], f"add to the README's configuration table: {missing}"


def test_the_two_commands_are_there() -> None:
    assert "make demo" in README and "make test" in README

"""The one validated settings object.

Sources, highest first: environment variables (``DIALER_*``; ``DATABASE_URL`` and
``REDIS_URL`` are also read bare because every hosting platform sets them that way), a
``.env`` file in the working directory, and an optional YAML file named by
``DIALER_CONFIG_FILE``. A wrong value stops start-up with :class:`SettingsError`, whose
message names the setting and its environment variable.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ENV_PREFIX = "DIALER_"


class SettingsError(Exception):
    """Raised when the configuration cannot be used; the message names the setting."""


class _YamlFileSource(PydanticBaseSettingsSource):
    """Reads the optional YAML file named by DIALER_CONFIG_FILE (lowest priority)."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        path = os.environ.get(ENV_PREFIX + "CONFIG_FILE")
        self._data: dict[str, Any] = {}
        if path:
            try:
                loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError) as exc:
                raise SettingsError(f"DIALER_CONFIG_FILE={path}: cannot read the file: {exc}") from exc
            if not isinstance(loaded, dict):
                raise SettingsError(f"DIALER_CONFIG_FILE={path}: the file must hold a mapping of settings")
            self._data = {str(k).lower(): v for k, v in loaded.items()}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._data.items() if k in self.settings_cls.model_fields}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    # --- stores -------------------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DIALER_DATABASE_URL", "DATABASE_URL"),
        description="PostgreSQL URL (postgresql://user:pass@host:5432/db). Unset: an embedded "
        "PostgreSQL is started under the data directory (demo only).",
    )
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DIALER_REDIS_URL", "REDIS_URL"),
        description="Redis URL (redis://host:6379/0). Unset: an in-process Redis with the same "
        "interface (one process only).",
    )
    redis_prefix: str = Field(default="dialer:", description="Prefix of every Redis key and channel.")
    db_pool_min: int = Field(default=2, ge=1, le=100, description="Smallest PostgreSQL pool size.")
    db_pool_max: int = Field(default=20, ge=1, le=500, description="Largest PostgreSQL pool size.")
    data_dir: Path = Field(
        default=Path("var"),
        description="Folder for the embedded database, the generated secret key and uploads.",
    )
    migrations_dir: Path = Field(
        default=Path(__file__).resolve().parent.parent / "sql",
        description="Folder with the numbered SQL migrations.",
    )

    # --- web ----------------------------------------------------------------------------
    host: str = Field(default="127.0.0.1", description="Address the portal listens on.")
    port: int = Field(default=8080, ge=1, le=65535, description="Port the portal listens on.")
    public_url: str | None = Field(
        default=None, description="URL users reach the portal at (used in mails); default http://host:port."
    )
    secret_key: str | None = Field(
        default=None,
        description="Key for signing and encrypting stored secrets (at least 32 characters). Unset: "
        "generated once and kept in <data_dir>/secret_key with mode 600.",
    )
    cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="Secure flag on the session cookie: auto sets it on HTTPS requests "
        "(or behind a proxy sending X-Forwarded-Proto: https).",
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="A session ends after this many idle minutes."
    )
    login_max_attempts: int = Field(
        default=5, ge=1, le=100, description="Failed logins allowed per login and per address in the window."
    )
    login_window_seconds: int = Field(
        default=300, ge=10, le=86400, description="Window of the login rate limit, seconds."
    )
    max_body_mb: int = Field(
        default=200, ge=1, le=4096, description="Largest request body (uploads included), megabytes."
    )
    default_language: Literal["ru", "en"] = Field(
        default="ru", description="Interface language before a user chooses one."
    )
    temp_password_hours: int = Field(
        default=24, ge=1, le=720, description="Lifetime of a mailed temporary password, hours."
    )
    admin_password: str | None = Field(
        default=None,
        description="Password of the preset administrator created on first start; unset: a random "
        "one is generated and printed once.",
    )

    # --- LDAP (domain accounts) -------------------------------------------------------------
    ldap_url: str | None = Field(default=None, description="ldap://host:389 or ldaps://host:636; unset: off.")
    ldap_bind_dn: str | None = Field(default=None, description="Service account DN used to search users.")
    ldap_bind_password: str | None = Field(default=None, description="Service account password.")
    ldap_base_dn: str = Field(default="", description="Search base for users.")
    ldap_user_filter: str = Field(
        default="(&(objectClass=inetOrgPerson)(uid={login}))",
        description="Filter that finds one user; {login} is replaced by the escaped login.",
    )
    ldap_browse_filter: str = Field(
        default="(objectClass=inetOrgPerson)", description="Filter listing users to add from the domain."
    )
    ldap_attr_login: str = Field(default="uid", description="Directory attribute holding the login.")
    ldap_attr_name: str = Field(default="cn", description="Directory attribute holding the full name.")
    ldap_attr_email: str = Field(default="mail", description="Directory attribute holding the e-mail.")
    ldap_attr_position: str = Field(default="title", description="Directory attribute holding the position.")
    ldap_timeout_s: float = Field(default=5.0, gt=0, le=60, description="LDAP connect and request timeout.")

    # --- service ------------------------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Log level.")
    log_format: Literal["text", "json"] = Field(default="text", description="Log line format.")
    phone_region: str = Field(
        default="RU",
        min_length=2,
        max_length=2,
        description="Region for phone numbers without a country code.",
    )
    switch: Literal["simulated", "freeswitch"] = Field(
        default="simulated",
        description="simulated: the built-in simulated switch; freeswitch: a real one at esl_host:esl_port.",
    )
    esl_host: str = Field(default="127.0.0.1", description="FreeSWITCH event-socket host.")
    esl_port: int = Field(default=8021, ge=1, le=65535, description="FreeSWITCH event-socket port.")
    esl_password: str = Field(default="ClueCon", description="FreeSWITCH event-socket password.")
    amd_retrain_schedule: str = Field(
        default="daily 03:00",
        description="When the engine retrains the AMD classifier on verified call outcomes (a new model "
        "is promoted only if it loses no more people on the frozen evaluation set): off, daily HH:MM, "
        "monthly D HH:MM, quarterly D HH:MM (Moscow time) or every N (minutes).",
    )

    @field_validator("secret_key")
    @classmethod
    def _long_secret(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @field_validator("database_url")
    @classmethod
    def _pg_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("phone_region")
    @classmethod
    def _upper_region(cls, value: str) -> str:
        return value.upper()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, dotenv_settings, _YamlFileSource(settings_cls))

    def effective_secret_key(self) -> str:
        """The configured key, else one generated once and kept under the data directory."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text(encoding="ascii").strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key)
        return key

    def portal_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


def env_name(field_name: str) -> str:
    return ENV_PREFIX + field_name.upper()


def load_settings(**overrides: Any) -> Settings:
    """Build the settings; turn pydantic's report into one message per bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "?"
            field = name.lower().removeprefix(ENV_PREFIX.lower())
            lines.append(f"setting {field} ({env_name(field)}): {err['msg']}")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(lines)) from None

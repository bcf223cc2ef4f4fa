"""Operator configuration: ``kefu.toml`` and ``KEFU_*`` environment variables.

Every key is read and validated here, once, before Django starts. A bad value stops start-up
with one sentence that names the key, so an operator never has to read a traceback to find
out what to fix. Environment variables win over the file (containers set them; the file is
for bare-metal installs). ``kefu.example.toml`` documents every key and a test keeps the two
in step with :data:`KEYS`.
"""

from __future__ import annotations

import math
import os
import secrets
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


class ConfigError(Exception):
    """A configuration value is missing or invalid; the message names the key."""


# key -> (type, default, one-line description). The description is what kefu.example.toml says.
KEYS: dict[str, tuple[type, Any, str]] = {
    "data_dir": (str, "./var", "Directory for the SQLite database, uploads and the dev secret."),
    "database_url": (str, "", "sqlite:///path/db.sqlite3 or postgresql://user:pw@host/db."),
    "redis_url": (str, "", "redis://host:6379/0 — enables the multi-process event bus."),
    "secret_key": (str, "", "Django secret key; required when debug is off."),
    "allowed_hosts": (list, ["127.0.0.1", "localhost"], "Host names this server answers."),
    "csrf_trusted_origins": (list, [], "Origins such as https://kefu.example.com behind a proxy."),
    "debug": (bool, False, "Development mode: detailed errors, generated secret."),
    "language": (str, "zh-hans", "Default UI language: zh-hans or en."),
    "time_zone": (str, "Asia/Shanghai", "Time zone for dates shown to people."),
    "event_retention_seconds": (int, 900, "How long missed live events can be resumed."),
    "event_heartbeat_seconds": (float, 15.0, "Seconds between SSE heartbeats."),
    "server_threads": (int, 8, "Threads per `kefu serve` worker for ordinary requests."),
    "semantic_model": (str, "", "Optional sentence embeddings for suggestions: "
                       "use-multilingual, m3e-small, e5-small, several joined with +, "
                       "or a local "
                       "sentence-transformers directory."),
}

PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "your-secret-key", "xxx"}
# A long value containing one of these was copied from an example, not generated.
PLACEHOLDER_WORDS = ("change-me", "changeme", "change_me", "replace-me", "your-secret")
MIN_SECRET_LENGTH = 32
LANGUAGES = ("zh-hans", "en")


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database_url: str
    redis_url: str
    secret_key: str
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    debug: bool
    language: str
    time_zone: str
    event_retention_seconds: int
    event_heartbeat_seconds: float
    server_threads: int
    semantic_model: str
    sources: dict[str, str] = field(default_factory=dict)  # key -> "env"/"file"/"default"

    def database(self) -> dict[str, Any]:
        return parse_database_url(self.database_url, self.data_dir)


def _where(key: str, origin: str) -> str:
    """How the operator finds the value: its variable, or its key in the file."""
    return f"{key} in kefu.toml" if origin == "file" else env_name(key)


def _parse(key: str, kind: type, raw: Any, origin: str) -> Any:
    where = _where(key, origin)
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{where} must be true or false, not {raw!r}.")
    if kind is list:
        if isinstance(raw, list):
            return [str(v).strip() for v in raw if str(v).strip()]
        return [p.strip() for p in str(raw).split(",") if p.strip()]
    if kind in (int, float):
        try:
            if isinstance(raw, bool):  # TOML true is not the number 1
                raise TypeError
            value = kind(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a number, not {raw!r}.") from None
        if not math.isfinite(value):
            raise ConfigError(f"{where} must be a finite number, not {raw!r}.")
        if value <= 0:
            raise ConfigError(f"{where} must be greater than zero.")
        return value
    if not isinstance(raw, str):
        raise ConfigError(f"{where} must be a string.")
    return raw.strip()


def env_name(key: str) -> str:
    return "KEFU_" + key.upper()


def _read_file(path: Path | None) -> dict[str, Any]:
    if path is None or not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.") from None
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ConfigError(f"{path} has an unknown key {unknown[0]!r}; see kefu.example.toml.")
    return data


def load(environ: os._Environ[str] | dict[str, str] | None = None) -> Config:
    """Read file + environment, validate, and return the configuration (or raise ConfigError)."""
    env = os.environ if environ is None else environ
    file_path = Path(env["KEFU_CONFIG"]) if env.get("KEFU_CONFIG") else Path("kefu.toml")
    if env.get("KEFU_CONFIG") and not file_path.exists():
        raise ConfigError(f"KEFU_CONFIG points at {file_path}, which does not exist.")
    file_values = _read_file(file_path)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, (kind, default, _doc) in KEYS.items():
        if env_name(key) in env:
            values[key], sources[key] = _parse(key, kind, env[env_name(key)], "env"), "env"
        elif key in file_values:
            values[key], sources[key] = _parse(key, kind, file_values[key], "file"), "file"
        else:
            values[key], sources[key] = default, "default"

    def where(key: str) -> str:
        return _where(key, sources[key])

    data_dir = Path(values["data_dir"]).expanduser().resolve()
    if values["language"] not in LANGUAGES:
        raise ConfigError(f"{where('language')} must be one of {', '.join(LANGUAGES)}.")
    if not 1 <= values["server_threads"] <= 256:
        raise ConfigError(f"{where('server_threads')} must be between 1 and 256.")
    if values["redis_url"] and urlsplit(values["redis_url"]).scheme not in {"redis", "rediss"}:
        raise ConfigError(f"{where('redis_url')} must start with redis:// or rediss://.")
    if not values["allowed_hosts"]:
        raise ConfigError(f"{where('allowed_hosts')} must name at least one host.")
    try:
        zoneinfo.ZoneInfo(values["time_zone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where('time_zone')} is not a known time zone "
                          f"(such as Asia/Shanghai), not {values['time_zone']!r}.") from None
    parse_database_url(values["database_url"], data_dir, where("database_url"))  # validates

    secret = values["secret_key"]
    if is_placeholder_secret(secret):
        if not values["debug"]:
            raise ConfigError(
                f"{where('secret_key')} is missing or a placeholder (at least "
                f"{MIN_SECRET_LENGTH} random characters are needed when KEFU_DEBUG is off); "
                "generate one with `kefu secret`."
            )
        secret = _dev_secret(data_dir)
        sources["secret_key"] = "generated"
    values.update(data_dir=data_dir, secret_key=secret)
    return Config(**values, sources=sources)


def is_placeholder_secret(secret: str) -> bool:
    lowered = secret.lower()
    return (lowered in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_LENGTH
            or any(word in lowered for word in PLACEHOLDER_WORDS))


def _dev_secret(data_dir: Path) -> str:
    """Generate once and persist, so sessions survive restarts of a development server."""
    path = data_dir / "secret_key"
    if path.exists():
        stored = path.read_text().strip()
        if not is_placeholder_secret(stored):
            return stored
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def parse_database_url(url: str, data_dir: Path,
                       where: str = "KEFU_DATABASE_URL") -> dict[str, Any]:
    """Turn KEFU_DATABASE_URL into a Django DATABASES entry; ``where`` names it in errors."""
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(data_dir / "kefu.sqlite3")}
    parts = urlsplit(url)
    if parts.scheme in {"sqlite", "sqlite3"}:
        # sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy spells them
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not path:
            raise ConfigError(f"{where} names no SQLite file (sqlite:///path/kefu.db).")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    if parts.scheme in {"postgres", "postgresql", "postgresql+psycopg"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigError(f"{where} names no PostgreSQL database (…/dbname).")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
        }
    raise ConfigError(
        f"{where} must start with sqlite:/// or postgresql://, not {parts.scheme!r}."
    )

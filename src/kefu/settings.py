"""Django settings, derived entirely from :mod:`kefu.config` (operators never edit this file)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from kefu import config as kefu_config

try:
    CONFIG = kefu_config.load()
except kefu_config.ConfigError as exc:  # one clear sentence, no traceback
    sys.stderr.write(f"kefu: configuration error: {exc}\n")
    raise SystemExit(2) from None

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = CONFIG.data_dir

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = CONFIG.allowed_hosts
CSRF_TRUSTED_ORIGINS = CONFIG.csrf_trusted_origins

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic",
    "django.contrib.staticfiles",
    "ninja",  # serves the API docs' Swagger UI from our own static files, not a CDN
    "kefu.core",
    "kefu.replies",
    "kefu.suggestions",
    "kefu.panel",
]

MIDDLEWARE = [
    # Static files first, natively async: they never enter the chain below.
    "servestatic.middleware.ServeStaticMiddleware",
    # Django's standard chain, declared sync-only so it runs in one thread (core/middleware.py).
    "kefu.core.middleware.SecurityMiddleware",
    "kefu.core.middleware.SessionMiddleware",
    "kefu.core.i18n.LanguageMiddleware",
    "kefu.core.middleware.CommonMiddleware",
    "kefu.core.middleware.CsrfViewMiddleware",
    "kefu.core.middleware.AuthenticationMiddleware",
    "kefu.core.middleware.MessageMiddleware",
    "kefu.core.middleware.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kefu.urls"
ASGI_APPLICATION = "kefu.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kefu.core.views.member_context",
            ],
        },
    },
]

_db = CONFIG.database()
if _db["ENGINE"].endswith("sqlite3"):
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers run beside the one writer; IMMEDIATE avoids "database is locked" on
    # lock upgrades; the pragmas run on every new connection (see core.apps).
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
# Ordinary requests run on a fixed pool of long-lived threads (kefu.asgi), so a thread's
# connection is reused by the requests that follow instead of being opened for each one
# (on SQLite opening one cost ~0.3 ms of a 1 ms request). Health checks make a connection
# that died while idle (database restart) get replaced instead of failing a request.
_db["CONN_MAX_AGE"] = 300
_db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = CONFIG.language
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = CONFIG.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
SERVESTATIC_USE_FINDERS = True  # serve straight from the package: no collectstatic step
SERVESTATIC_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
# Django's database sessions and model backend, with their per-request reads as plain SQL.
SESSION_ENGINE = "kefu.core.sessions"
AUTHENTICATION_BACKENDS = ["kefu.core.sessions.UserBackend"]
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True

KEFU_REDIS_URL = CONFIG.redis_url
KEFU_EVENT_RETENTION_SECONDS = CONFIG.event_retention_seconds
KEFU_EVENT_HEARTBEAT_SECONDS = CONFIG.event_heartbeat_seconds
KEFU_SEMANTIC_MODEL = CONFIG.semantic_model
KEFU_SERVER_THREADS = CONFIG.server_threads
KEFU_LOGIN_MAX_FAILURES = 10
KEFU_LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"kefu": {"level": "INFO"}},
}

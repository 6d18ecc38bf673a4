"""Canpei settings: one module, driven by the environment.

Every value has a safe default; a value that cannot be parsed stops the process at start-up
rather than running half-configured.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def _env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _env_int(name: str, default: int, *, low: int, high: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip()
    if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        raise ImproperlyConfigured(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
    return int(value)


def _proxy_ssl_header(raw: str) -> tuple[str, str] | None:
    """CANPEI_PROXY_SSL_HEADER: the header the TLS proxy sets, as `X-Forwarded-Proto` (meaning
    `X-Forwarded-Proto: https`) or `Header=value`; empty (the default) trusts no header."""
    raw = raw.strip()
    if not raw:
        return None
    name, _sep, value = raw.partition("=")
    name, value = name.strip(), (value.strip() if _sep else "https")
    if not re.fullmatch(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*", name) or not re.fullmatch(
            r"[A-Za-z0-9.:/_-]+", value):
        raise ImproperlyConfigured(
            f"CANPEI_PROXY_SSL_HEADER must be a header name such as X-Forwarded-Proto, "
            f"optionally =value (default https), got {raw!r}")
    return "HTTP_" + name.upper().replace("-", "_"), value


def _generated_secret(path: Path, nbytes: int) -> str:
    """Read a key from the var dir, creating it (mode 0600) on first use."""
    if path.exists():
        value = path.read_text().strip()
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    # O_EXCL: two processes starting together must not write two different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


VAR_DIR = Path(os.environ.get("CANPEI_VAR_DIR") or Path.cwd() / "var").resolve()
# The var dir holds the keys and, on SQLite, the database with its personal data: only the
# account running Canpei may enter it (an existing dir keeps the mode its operator gave it).
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)

DEBUG = _env_bool("CANPEI_DEBUG", False)
SECRET_KEY = os.environ.get("CANPEI_SECRET_KEY") or _generated_secret(VAR_DIR / "secret.key", 50)
# The field key encrypts ID and certificate numbers at rest; losing it loses those numbers.
FIELD_KEY = os.environ.get("CANPEI_FIELD_KEY") or _generated_secret(VAR_DIR / "field.key", 32)
if len(FIELD_KEY) < 32:
    raise ImproperlyConfigured("CANPEI_FIELD_KEY must be at least 32 characters")
# The audit key keys the audit log's hash chain (HMAC), signs its head, anchors and backup
# manifests; the database does not hold it. Losing it means the chain can no longer be verified.
AUDIT_KEY = os.environ.get("CANPEI_AUDIT_KEY") or _generated_secret(VAR_DIR / "audit.key", 32)
if len(AUDIT_KEY) < 32:
    raise ImproperlyConfigured("CANPEI_AUDIT_KEY must be at least 32 characters")

# Django's test client's "testserver" is not among them: the test suite adds it for itself.
ALLOWED_HOSTS = _env_list("CANPEI_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    # ninja itself: /api/v1/docs then serves Swagger UI from our static files, not a CDN with
    # an inline script, which the Content-Security-Policy would block.
    "ninja",
    "canpei.regions",
    "canpei.accounts",
    "canpei.audit",
    "canpei.institutions",
    "canpei.people",
    "canpei.training",
    "canpei.employment",
    "canpei.funds",
    "canpei.competitions",
    "canpei.spreadsheets",
    "canpei.reports",
    "canpei.supervision",
    "canpei.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "canpei.accounts.middleware.SlidingSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "canpei.accounts.middleware.SecondFactorMiddleware",
    "canpei.accounts.middleware.PasswordChangeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "canpei.urls"
WSGI_APPLICATION = "canpei.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "canpei.web.context.navigation",
            ],
        },
    }
]

_database_url = os.environ.get("DATABASE_URL", "").strip()
if _database_url:
    try:
        _db = dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # dj_database_url raises several types for a bad URL
        raise ImproperlyConfigured(f"DATABASE_URL cannot be parsed: {exc}") from exc
    if _db["ENGINE"] == "django.db.backends.postgresql":
        # A dead connection (PostgreSQL restarted) is dropped before use instead of failing a request.
        _db.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "canpei.sqlite3"),
        # IMMEDIATE: a writer takes the lock when its transaction begins, so two concurrent
        # transitions serialise instead of one failing half-way with "database is locked".
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20,
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
    }
_db["ATOMIC_REQUESTS"] = False
# Behind PgBouncer in transaction pooling mode (CANPEI_PGBOUNCER=1): consecutive transactions
# may run on different server connections, so nothing may outlive a transaction on one — no
# server-side cursors (QuerySet.iterator() fetches in chunks instead) and no prepared
# statements (psycopg prepares a query run five times, by default).
PGBOUNCER = _env_bool("CANPEI_PGBOUNCER", False)


def _behind_pgbouncer(database: Any) -> None:  # a DBConfig of dj_database_url
    if PGBOUNCER and database["ENGINE"] == "django.db.backends.postgresql":
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
        database.setdefault("OPTIONS", {})["prepare_threshold"] = None


_behind_pgbouncer(_db)
DATABASES = {"default": _db}

# Read replicas (canpei/replicas.py): CANPEI_REPLICA_URLS, comma-separated PostgreSQL URLs of
# hot standbys streaming from DATABASE_URL. Safe requests of clients that have not just written
# read from them; everything else reads and writes the primary.
_replica_urls = [url.strip() for url in os.environ.get("CANPEI_REPLICA_URLS", "").split(",")
                 if url.strip()]
if _replica_urls and _db["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("CANPEI_REPLICA_URLS needs DATABASE_URL to be PostgreSQL")
REPLICA_ALIASES: list[str] = []
for _number, _url in enumerate(_replica_urls, start=1):
    try:
        _replica = dj_database_url.parse(_url, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:
        raise ImproperlyConfigured(f"CANPEI_REPLICA_URLS entry {_number} cannot be parsed: "
                                   f"{type(exc).__name__}") from exc
    # A replica that does not answer quickly is skipped (its reads go to the primary).
    _replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    _replica["ATOMIC_REQUESTS"] = False
    _behind_pgbouncer(_replica)
    # The test run reads the test database's streamed copy on the replica (only NAME is taken).
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{_number}"] = _replica
    REPLICA_ALIASES.append(f"replica_{_number}")
DATABASE_ROUTERS = ["canpei.replicas.ReplicaRouter"] if REPLICA_ALIASES else []
if REPLICA_ALIASES:
    # Before the session and the user are read: they follow the request's choice too.
    MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
                      "canpei.replicas.ReadYourWritesMiddleware")
# After a client writes, its requests read the primary for this long (read-your-writes).
REPLICA_PIN_SECONDS = _env_int("CANPEI_REPLICA_PIN_SECONDS", 5, low=0, high=3600)
# An unreachable replica is tried again after this long.
REPLICA_RETRY_SECONDS = 30
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "canpei.accounts.passwords.MinimumLengthValidator",
     "OPTIONS": {"min_length": 8}},
    {"NAME": "canpei.accounts.passwords.CharacterKindsValidator"},
    {"NAME": "canpei.accounts.passwords.UsernameValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"

# Idle timeout: the session expires 30 minutes after the last request. Its expiry is moved on
# by canpei.accounts.middleware.SlidingSessionMiddleware at most once a SESSION_RENEW_AFTER
# seconds (a signed-in user idle for 29-30 minutes is signed out), not by a session write on
# every request: a page then costs no write and no commit of its own.
SESSION_COOKIE_AGE = 30 * 60
SESSION_RENEW_AFTER = 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = _env_bool("CANPEI_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
# Strict-Transport-Security on HTTPS responses whenever cookies are Secure (an HTTPS deployment);
# 0 turns it off. Django sends it only on requests it sees as HTTPS: behind a TLS-terminating
# proxy, set CANPEI_PROXY_SSL_HEADER to the header the proxy sets (and make sure the proxy
# overwrites any such header a client sends).
HSTS_SECONDS = _env_int("CANPEI_HSTS_SECONDS", 31_536_000, low=0, high=63_072_000)
SECURE_HSTS_SECONDS = HSTS_SECONDS if SECURE_COOKIES else 0
SECURE_PROXY_SSL_HEADER = _proxy_ssl_header(os.environ.get("CANPEI_PROXY_SSL_HEADER", ""))
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = _env_list("CANPEI_CSRF_TRUSTED_ORIGINS", [])

# TOTP second factor for the three officers (等保 2.0). Only a local demo turns it off.
ADMIN_TOTP_REQUIRED = _env_bool("CANPEI_ADMIN_TOTP", True)
# The product's name as an authenticator app lists the account, the same in every language.
OTP_TOTP_ISSUER = "残培 Canpei"  # zh-data


# API tokens expire this many hours after issue.
TOKEN_HOURS = _env_int("CANPEI_TOKEN_HOURS", 12, low=1, high=24 * 90)
# Officers' passwords expire after this many days; 0 (the default) turns expiry off.
PASSWORD_MAX_DAYS = _env_int("CANPEI_PASSWORD_MAX_DAYS", 0, low=0, high=3650)

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_LOCKOUT_CALLABLE = "canpei.accounts.views.locked_out"
AXES_VERBOSE = False
# Lockout is per account (5 failures locks that user); a per-IP lock would let one office behind
# a shared NAT lock out all its colleagues.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LANGUAGE_CODE = "zh-hans"
# Each language named in itself, as the language switcher offers it.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]  # zh-data
LOCALE_PATHS = [BASE_DIR / "locale"]
# The manuals served under /help and written by `canpei docs`: the repository's docs/ (an
# installation from a clone, `pip install -e .`); CANPEI_DOCS_DIR points elsewhere.
DOCS_DIR = Path(os.environ.get("CANPEI_DOCS_DIR") or BASE_DIR.parent / "docs").resolve()
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(VAR_DIR / "uploads")}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Background work (imports) goes through the django-tasks API: jobs wait in the database and
# `canpei run` starts a worker beside the web server. CANPEI_TASKS=immediate runs them inline.
_tasks_mode = os.environ.get("CANPEI_TASKS", "database").strip().lower()
if _tasks_mode not in {"database", "immediate"}:
    raise ImproperlyConfigured("CANPEI_TASKS must be 'database' or 'immediate'")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend" if _tasks_mode == "database"
                     else "django_tasks.backends.immediate.ImmediateBackend"}}


# Days an import's (encrypted) files are kept: the upload of a job the worker has not run yet,
# and the report workbook. The worker removes older ones.
def _retention_days(raw: str) -> int:
    if not raw.strip().isdigit() or not 1 <= int(raw) <= 3650:
        raise ImproperlyConfigured(f"CANPEI_UPLOAD_RETENTION_DAYS must be a whole number of days "
                                   f"from 1 to 3650, got {raw!r}")
    return int(raw)


UPLOAD_RETENTION_DAYS = _retention_days(os.environ.get("CANPEI_UPLOAD_RETENTION_DAYS", "7"))

# Working age (就业年龄段): inclusive ages by gender; configurable as retirement ages rise.
# Format "male:16-59,female:16-54".
def _working_age(raw: str) -> dict[str, tuple[int, int]]:
    result: dict[str, tuple[int, int]] = {}
    try:
        for part in raw.split(","):
            gender, span = part.split(":")
            low, high = span.split("-")
            result[gender.strip()] = (int(low), int(high))
    except ValueError as exc:
        raise ImproperlyConfigured(f"CANPEI_WORKING_AGE cannot be parsed: {raw!r}") from exc
    if set(result) != {"male", "female"} or any(lo > hi for lo, hi in result.values()):
        raise ImproperlyConfigured(f"CANPEI_WORKING_AGE needs male and female spans: {raw!r}")
    return result


WORKING_AGE = _working_age(os.environ.get("CANPEI_WORKING_AGE", "male:16-59,female:16-54"))


# Share of a class's hours a trainee must attend to complete it (PRODUCT.md: 80 %, configurable).
def _fraction(name: str, default: str) -> float:
    raw = os.environ.get(name) or default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number between 0 and 1: {raw!r}") from exc
    if not 0 < value <= 1:
        raise ImproperlyConfigured(f"{name} must be a number between 0 and 1: {raw!r}")
    return value


ATTENDANCE_THRESHOLD = _fraction("CANPEI_ATTENDANCE_THRESHOLD", "0.8")
# The tolerance on a class's hours at its completion (issue 12): the share of the planned hours
# the register must hold. 1 (the default) means every planned hour; 0.95 accepts 38 of 40 hours.
CLASS_HOURS_REQUIRED = _fraction("CANPEI_CLASS_HOURS_REQUIRED", "1")


def _whole(name: str, default: str, low: int, high: int) -> int:
    raw = (os.environ.get(name) or default).strip()
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ImproperlyConfigured(f"{name} must be a whole number from {low} to {high}: {raw!r}")
    return int(raw)


# The supervision alerts' thresholds (canpei/supervision/rules.py; README "监管预警").
# An inspection alerts when fewer than this share of the roster was present.
ALERT_INSPECTION_PRESENT_RATIO = _fraction("CANPEI_ALERT_INSPECTION_PRESENT_RATIO", "0.6")
# A focus class alerts when more than this share of its trainees is outside its focus group,
# once it has at least ALERT_FOCUS_MIN_TRAINEES trainees.
ALERT_FOCUS_OUTSIDE_SHARE = _fraction("CANPEI_ALERT_FOCUS_OUTSIDE_SHARE", "0.5")
ALERT_FOCUS_MIN_TRAINEES = _whole("CANPEI_ALERT_FOCUS_MIN_TRAINEES", "5", 1, 1000)
# The ages (inclusive, on the start date) of a young-adult (青壮年) class's focus group.
ALERT_YOUNG_ADULT_AGES = (16, 45)
# This many trainees (or more) sharing one phone number alert.
ALERT_SHARED_PHONE_MIN = _whole("CANPEI_ALERT_SHARED_PHONE_MIN", "3", 2, 1000)
# This many consecutive sessions (or more) with the very same register alert.
ALERT_IDENTICAL_SESSIONS = _whole("CANPEI_ALERT_IDENTICAL_SESSIONS", "5", 2, 1000)
# Recompute the alerts in the background after the writes that affect them.
ALERT_AUTO_RECOMPUTE = os.environ.get("CANPEI_ALERT_AUTO_RECOMPUTE", "1").strip() != "0"


# Months after the end of a training at which its completers are followed up (PRODUCT.md:
# 3 and 6), as "3,6": whole months, ascending, between 1 and 36.
def _followup_months(raw: str) -> tuple[int, ...]:
    try:
        months = tuple(int(part) for part in raw.split(","))
    except ValueError as exc:
        raise ImproperlyConfigured(f"CANPEI_FOLLOWUP_MONTHS cannot be parsed: {raw!r}") from exc
    if not months or list(months) != sorted(set(months)) or not all(1 <= m <= 36 for m in months):
        raise ImproperlyConfigured(
            f"CANPEI_FOLLOWUP_MONTHS must be ascending whole months between 1 and 36: {raw!r}")
    return months


FOLLOWUP_MONTHS = _followup_months(os.environ.get("CANPEI_FOLLOWUP_MONTHS") or "3,6")

# Lookups by full ID number (persons/lookup, and an institution's enrolment by ID number) each
# user may make in a minute; counted in the database, so every app process shares the count.
LOOKUP_RATE = _env_int("CANPEI_LOOKUP_RATE", 60, low=1, high=100_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # Request logs can carry query strings with ID numbers; keep them out.
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False}},
}

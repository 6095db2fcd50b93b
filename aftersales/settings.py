"""Django settings, all read from environment variables.

Defaults give an embedded system (SQLite in WAL mode, Huey on SQLite) that needs nothing
installed; production sets DATABASE_URL (PostgreSQL), REDIS_URL, SECRET_KEY, ALLOWED_HOSTS
and AFTERSALES_HTTPS=1. See README.md, "Configuration".
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from aftersales import datadir

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    """A yes/no setting: 1/0, true/false, yes/no, on/off (any case); unset or empty is the
    default. Anything else stops the start-up rather than being read as "no"."""
    value = (os.environ.get(name) or "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: use 1/0, true/false, yes/no or on/off")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# The test suite's settings module (`aftersales.settings_test`) turns this on.
TESTING = env_bool("AFTERSALES_TESTING")

# Where the embedded database, the queue database, uploads and the generated secret live
# (`aftersales/datadir.py`). Reading the settings creates nothing: the entry points prepare it.
DATA_DIR = datadir.path()
SECRET_KEY = datadir.secret_key(DATA_DIR)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "huey.contrib.djhuey",
    "aftersales.core",
    "aftersales.accounts",
    "aftersales.catalog",
    "aftersales.customers",
    "aftersales.calendars",
    "aftersales.notifications",
    "aftersales.orders",
    "aftersales.warranty",
    "aftersales.dispatch",
    "aftersales.parts",
    "aftersales.fieldwork",
    "aftersales.feedback",
    "aftersales.kpi",
    "aftersales.maintenance",
    "aftersales.portal",
    "aftersales.knowledge",
    "aftersales.workshop",
    "aftersales.billing",
    "aftersales.imports",
    "aftersales.privacy",
    "aftersales.web",
    "aftersales.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "aftersales.api.middleware.ApiErrorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "aftersales.api.ratelimit.RateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "aftersales.core.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "aftersales.urls"
WSGI_APPLICATION = "aftersales.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "aftersales.web.context.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DEFAULT_SQLITE = f"sqlite:///{DATA_DIR / 'aftersales.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or DEFAULT_SQLITE,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock when a
        # transaction starts, so concurrent writers queue instead of failing half-way.
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=10000;PRAGMA cache_size=-64000;"
            "PRAGMA mmap_size=268435456;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_aftersales.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background work (Huey) -------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL") or ""
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "aftersales",
        "url": REDIS_URL,
        "immediate": TESTING,
        "consumer": {"workers": int(os.environ.get("HUEY_WORKERS", "2")), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "aftersales",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": TESTING,
        "consumer": {"workers": int(os.environ.get("HUEY_WORKERS", "2")), "worker_type": "thread"},
    }

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Tests create hundreds of users; argon2 stays the production hasher (see test_settings).
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 10  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag; kept default
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Behind HTTPS (production): secure cookies, HSTS and redirects. Off for the local demo.
HTTPS = env_bool("AFTERSALES_HTTPS", False)
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "aftersales_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = HTTPS

# --- Static and uploaded files ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "uploads")},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads in shared object storage (S3 or an S3-compatible server such as MinIO): needed as soon
# as there is more than one web machine, so each sees the others' photos and signatures.
AFTERSALES_S3_BUCKET = os.environ.get("AFTERSALES_S3_BUCKET", "").strip()
if AFTERSALES_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AFTERSALES_S3_BUCKET,
            "endpoint_url": os.environ.get("AFTERSALES_S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("AFTERSALES_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("AFTERSALES_S3_SECRET_KEY") or None,
            "region_name": os.environ.get("AFTERSALES_S3_REGION") or None,
            "addressing_style": os.environ.get("AFTERSALES_S3_ADDRESSING_STYLE", "path"),
            # Files are served through the application (scope checks), never by public URLs.
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
WHITENOISE_USE_FINDERS = TESTING or DEBUG
MEDIA_ROOT = DATA_DIR / "uploads"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_BYTES = int(os.environ.get("AFTERSALES_IMPORT_MAX_BYTES", str(5 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(os.environ.get("AFTERSALES_IMPORT_MAX_ROWS", "20000"))
# The company's working calendar is cached per process this many seconds (0: read every time;
# tests read every time so that each test sees its own calendar).
CALENDAR_CACHE_SECONDS = (
    0 if TESTING else int(os.environ.get("AFTERSALES_CALENDAR_CACHE_SECONDS", "30"))
)
# Personal data (PIPL): customers inactive this many days are anonymised by the nightly job
# (0: never). `aftersales privacy_retention` shows who would be, before anything is applied.
PRIVACY_RETENTION_DAYS = int(os.environ.get("AFTERSALES_RETENTION_DAYS", "0"))
# Stored upload files no row refers to are deleted after this many hours (a failed
# transaction's photos); `aftersales sweep_uploads` shows them first.
UPLOAD_ORPHAN_GRACE_HOURS = int(os.environ.get("AFTERSALES_UPLOAD_ORPHAN_GRACE_HOURS", "24"))
# A message left "sending" this many seconds (its worker died mid-send) is taken back by the
# outbox sweep (sent again with the same key, or failed); the load-with-faults cluster sets it short.
AFTERSALES_OUTBOX_STALE_SECONDS = int(os.environ.get("AFTERSALES_OUTBOX_STALE_SECONDS", "600"))

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        "huey": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_MAX_LIMIT = 200

# API rate limits per minute (api/ratelimit.py): per token or signed-in user, and per client
# address; 0 turns a limit off. Off in the test run unless a test sets them.
AFTERSALES_API_RATE_PER_CALLER = int(
    os.environ.get("AFTERSALES_API_RATE_PER_CALLER", "0" if TESTING else "600")
)
AFTERSALES_API_RATE_PER_ADDRESS = int(
    os.environ.get("AFTERSALES_API_RATE_PER_ADDRESS", "0" if TESTING else "1200")
)
# Trusted reverse proxies in front of the web processes that append to X-Forwarded-For (1 with
# the nginx example); 0: the connection's own address is the client's.
AFTERSALES_PROXY_COUNT = int(os.environ.get("AFTERSALES_PROXY_COUNT", "0"))
# The cache holds the rate-limit counters: shared through Redis when there is one.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "aftersales",
        }
    }

# Product settings (company data lives in the database; these are system-wide switches).
AFTERSALES_DEMO_ON_EMPTY = env_bool("AFTERSALES_DEMO_ON_EMPTY", True)
AFTERSALES_SITE_NAME = _("Aftersales service management")
# Route maps on the dispatch board: a slippy-map tile URL with {z}, {x} and {y}, e.g.
# https://tile.openstreetmap.org/{z}/{x}/{y}.png (respect the server's usage policy). Empty:
# the board shows no map.
AFTERSALES_MAP_TILES = os.environ.get("AFTERSALES_MAP_TILES", "").strip()
AFTERSALES_MAP_ATTRIBUTION = os.environ.get(
    "AFTERSALES_MAP_ATTRIBUTION", "© OpenStreetMap contributors"
)
# Links in messages to customers (report copies, survey links) start with this address.
AFTERSALES_BASE_URL = os.environ.get("AFTERSALES_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# How customers are told by default (a customer's own preference wins): console (the log, for
# the demo), sms, email, webhook.
AFTERSALES_CUSTOMER_CHANNEL = os.environ.get("AFTERSALES_CUSTOMER_CHANNEL", "console")
# The SMS gateway: an HTTP endpoint taking POST {"id", "to", "text"} (bearer token optional).
AFTERSALES_SMS_URL = os.environ.get("AFTERSALES_SMS_URL", "").strip()
AFTERSALES_SMS_TOKEN = os.environ.get("AFTERSALES_SMS_TOKEN", "")
# A webhook receiving every message to customers as JSON, signed with HMAC-SHA256.
AFTERSALES_WEBHOOK_URL = os.environ.get("AFTERSALES_WEBHOOK_URL", "").strip()
AFTERSALES_WEBHOOK_SECRET = os.environ.get("AFTERSALES_WEBHOOK_SECRET", "")
# E-mail: SMTP when EMAIL_HOST is set, else the console (the log).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "aftersales@localhost")
if not TESTING:
    EMAIL_BACKEND = (
        "django.core.mail.backends.smtp.EmailBackend"
        if EMAIL_HOST
        else "django.core.mail.backends.console.EmailBackend"
    )

"""One settings file, driven by the environment (see the table in README.md)."""

import json
import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def cache_settings(url: str) -> dict:
    """CACHE_URL: redis://host:port/db (shared by every process and machine) or locmem://."""
    if not url or url.startswith("locmem://"):
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "cablearchive",
            }
        }
    # Never the URL itself in the message: it may hold a password.
    raise ImproperlyConfigured(
        "CACHE_URL must start with redis://, rediss://, unix:// or locmem://"
    )


def upload_storage(kind: str, options: str) -> dict:
    """CABLEARCHIVE_UPLOAD_STORAGE: "filesystem", "database" or a storage class's dotted path."""
    if kind == "filesystem":
        return {"BACKEND": "cables.uploads.UploadFolderStorage"}
    if kind == "database":
        return {"BACKEND": "cables.blobstore.DatabaseStorage"}
    if "." not in kind:
        raise ImproperlyConfigured(
            "CABLEARCHIVE_UPLOAD_STORAGE must be filesystem, database or a storage class's path"
        )
    try:
        parsed = json.loads(options) if options else {}
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"CABLEARCHIVE_UPLOAD_STORAGE_OPTIONS is not JSON: {exc}"
        ) from None
    return {"BACKEND": kind, "OPTIONS": parsed}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")
TESTING = "pytest" in sys.modules

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-key-for-development-and-tests-only"

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG or TESTING else ""
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "cables",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cablearchive.urls"
WSGI_APPLICATION = "cablearchive.wsgi.application"

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
            ],
        },
    },
]

# SQLite is the embedded default; DATABASE_URL=postgres://… selects PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while an import writes; the timeout rides out batch commits.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The facet query's cost estimate trips JIT compilation, which then costs more than the query.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not (DEBUG or TESTING)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without collectstatic (development, tests) whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# Uploads wait for their import job in the "uploads" storage, never served. On PostgreSQL they
# are kept in the database itself, so a worker on any machine can read them; "filesystem" keeps
# them under UPLOAD_ROOT, and a dotted path names any Django storage (options as JSON).
UPLOAD_ROOT = Path(os.environ.get("CABLEARCHIVE_UPLOAD_ROOT", BASE_DIR / "var" / "uploads"))
STORAGES["uploads"] = upload_storage(
    os.environ.get("CABLEARCHIVE_UPLOAD_STORAGE")
    or (
        "database"
        if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
        else "filesystem"
    ),
    os.environ.get("CABLEARCHIVE_UPLOAD_STORAGE_OPTIONS", ""),
)
CACHES = cache_settings(os.environ.get("CACHE_URL", ""))

# A search whose facet counts take longer is shown with its count alone (?facets=all counts them).
# Any one query of a list page runs at most this long (a hostile search is stopped, not served).
CABLEARCHIVE_SEARCH_TIME_LIMIT_MS = int(os.environ.get("CABLEARCHIVE_SEARCH_TIME_LIMIT_MS", "5000"))
FACETS_TIME_LIMIT_MS = int(os.environ.get("CABLEARCHIVE_FACETS_TIME_LIMIT_MS", "250"))
# CSV exports walk every matching cable: each client gets this many a minute.
CABLEARCHIVE_EXPORTS_PER_MINUTE = int(os.environ.get("CABLEARCHIVE_EXPORTS_PER_MINUTE", "10"))
CABLEARCHIVE_MAX_UPLOAD_BYTES = int(os.environ.get("CABLEARCHIVE_MAX_UPLOAD_BYTES", 4 * 1024**3))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024**2
FILE_UPLOAD_TEMP_DIR = os.environ.get("CABLEARCHIVE_UPLOAD_TEMP_DIR") or None
DATA_UPLOAD_MAX_NUMBER_FILES = 100

# The demo and tests run jobs in-process; production points this at the database queue.
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "CABLEARCHIVE_TASK_BACKEND",
            "django_tasks_db.DatabaseBackend",
        )
    }
}

if not (DEBUG or TESTING):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

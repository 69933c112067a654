"""Settings for Commitment Tracker, all read from the environment.

With no environment at all this is a safe local-development setup: SQLite and
Celery's filesystem broker under ``var/``, email printed to the console.
``DJANGO_ENV=production`` turns every convenience off and requires the
variables a real deployment must choose for itself. ``.env.example`` documents
each variable.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from tracker.env import StrictEnv

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = StrictEnv()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV={DJANGO_ENV!r} is not one of development, production, test."
    )
PRODUCTION = DJANGO_ENV == "production"
REQUIRED_IN_PRODUCTION = "when DJANGO_ENV=production"


def _dev_default(var, default):
    """A variable production must set explicitly; development gets ``default``."""
    if PRODUCTION:
        return env.require(var, REQUIRED_IN_PRODUCTION)
    return env.str(var, default=default)


if not PRODUCTION:
    VAR_DIR.mkdir(exist_ok=True)

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production.")


def _dev_secret_key():
    """A random key kept in var/ so development sessions survive restarts."""
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.require("SECRET_KEY", REQUIRED_IN_PRODUCTION) if PRODUCTION else None
SECRET_KEY = SECRET_KEY or env.str("SECRET_KEY", default="") or _dev_secret_key()
# Old keys stay valid for signed links (alert confirmations, sessions) during rotation.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"],
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(f"ALLOWED_HOSTS must be set {REQUIRED_IN_PRODUCTION}.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Absolute links in emails and feeds are built from this, never from the request.
SITE_URL = _dev_default("SITE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "simple_history",
    "import_export",
    "commitments",
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
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "tracker.urls"
# A non-obvious admin path keeps drive-by login attempts down; the public site never links to it.
ADMIN_URL = env.str("ADMIN_URL", default="admin/").strip("/") + "/"
WSGI_APPLICATION = "tracker.wsgi.application"

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
                "commitments.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url_config(
        _dev_default("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tracker.sqlite3'}")
    )
}
# Persistent connections: opening one costs more than rendering most pages.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web server, worker and beat share one file: wait for locks instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
# The calendar a deadline belongs to: a deadline passes at the end of its day here.
TRACKER_TIME_ZONE = env.str("TRACKER_TIME_ZONE", default="America/Los_Angeles")
try:
    from zoneinfo import ZoneInfo

    ZoneInfo(TRACKER_TIME_ZONE)
except (KeyError, ValueError) as exc:
    raise ImproperlyConfigured(
        f"TRACKER_TIME_ZONE={TRACKER_TIME_ZONE!r} is not a known time zone."
    ) from exc

STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = not PRODUCTION  # serve straight from static/ without collectstatic
if not PRODUCTION:
    Path(STATIC_ROOT).mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Shared cache (page cache, rate limits): Redis in production, process memory otherwise.
CACHES = {"default": env.cache_url_config(env.str("CACHE_URL", default="locmemcache://"))}

# Email: one URL, e.g. smtp+tls://user:pass@host:587, smtp://127.0.0.1:1025 (mailpit).
vars().update(env.email_url_config(_dev_default("EMAIL_URL", "consolemail://")))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Commitment Tracker <tracker@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis in production, the filesystem transport for a server-less checkout.
CELERY_BROKER_URL = _dev_default("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery"
    for _sub in ("out", "processed"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "out"),
        "data_folder_out": str(_queue_dir / "out"),
        "processed_folder": str(_queue_dir / "processed"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Reminders (see commitments/reminders.py).
TRACKER_SWEEP_INTERVAL_SECONDS = env.int("TRACKER_SWEEP_INTERVAL_SECONDS", default=120)
TRACKER_UPCOMING_REMINDER_DAYS = [
    int(d) for d in env.list("TRACKER_UPCOMING_REMINDER_DAYS", default=["30", "7"])
]
TRACKER_OVERDUE_REMINDER_DAYS = env.int("TRACKER_OVERDUE_REMINDER_DAYS", default=7)
TRACKER_STAFF_EMAILS = env.list("TRACKER_STAFF_EMAILS", default=[])

# Subscriber alerts (see commitments/alerts/).
TRACKER_ALERT_CONFIRM_MAX_AGE_DAYS = env.int("TRACKER_ALERT_CONFIRM_MAX_AGE_DAYS", default=3)
TRACKER_ALERT_RATE_PER_IP = env.str("TRACKER_ALERT_RATE_PER_IP", default="20/h")
TRACKER_ALERT_RATE_PER_ADDRESS = env.str("TRACKER_ALERT_RATE_PER_ADDRESS", default="5/h")
# Keys the hashes in the suppression list. Set it once and never rotate it (a new key
# forgets every suppressed address); unset, it follows SECRET_KEY.
TRACKER_ALERT_HASH_KEY = env.str("TRACKER_ALERT_HASH_KEY", default="") or SECRET_KEY
# Notifications per delivery task: one SMTP connection carries a whole batch.
TRACKER_DELIVERY_BATCH_SIZE = env.int("TRACKER_DELIVERY_BATCH_SIZE", default=200)
RATELIMIT_USE_CACHE = "default"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

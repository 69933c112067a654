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
    "tracker.apps.TrackerAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "simple_history",
    "import_export",
    "commitments",
]

MIDDLEWARE = [
    "tracker.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "tracker.csp.PolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so it sees the outcome of every login attempt.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out logins before checking them
    "django.contrib.auth.backends.ModelBackend",
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
                "commitments.public.context_processors.site",
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
    # The company page's index carries extra columns for PostgreSQL's index-only scans;
    # SQLite builds it without them, which is all development needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
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
# The site and the admin are in English only; the translation machinery cost the
# timeline a sixth of its function calls per render (reverse() asks for the language).
USE_I18N = False
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

# Whole-table files (/pledges.csv, /pledges.json, /deadlines.ics), written by the worker and
# served by the web process: both must see the same directory (a shared volume in compose).
TRACKER_EXPORT_DIR = env.str("TRACKER_EXPORT_DIR", default=str(VAR_DIR / "exports"))
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
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "tracker.cache.ForgivingRedisCache"

# Email: one URL, e.g. smtp+tls://user:pass@host:587, smtp://127.0.0.1:1025 (mailpit).
vars().update(env.email_url_config(_dev_default("EMAIL_URL", "consolemail://")))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Commitment Tracker <tracker@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis in production, the filesystem transport for a server-less checkout.
# The transport ignores the host; naming one stops kombu warning on every connection
# that none was supplied.
CELERY_BROKER_URL = _dev_default("CELERY_BROKER_URL", "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # A separate folder lets a test run its own worker without touching var/.
    _queue_dir = Path(env.str("CELERY_QUEUE_DIR", default=str(VAR_DIR / "celery")))
    for _sub in ("out", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "out"),
        "data_folder_out": str(_queue_dir / "out"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
        # How long an idle worker sleeps between looks at the folder (kombu's default: 1 s).
        "polling_interval": env.float("CELERY_POLLING_INTERVAL", default=1.0),
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
# Daily digests (commitments/domain/digests.py): under the automatic preference, a staff
# member gets at most TRACKER_DIGEST_THRESHOLD reminders a day one by one; the rest, and all
# of those who chose the digest, arrive in one email at TRACKER_DIGEST_HOUR, tracker time.
TRACKER_DIGEST_THRESHOLD = env.int("TRACKER_DIGEST_THRESHOLD", default=5)
TRACKER_DIGEST_HOUR = env.int("TRACKER_DIGEST_HOUR", default=8)
if not 0 <= TRACKER_DIGEST_HOUR <= 23 or TRACKER_DIGEST_THRESHOLD < 0:
    raise ImproperlyConfigured(
        "TRACKER_DIGEST_HOUR must be an hour from 0 to 23 and TRACKER_DIGEST_THRESHOLD >= 0."
    )
# Delivery (see commitments/delivery.py). A transient failure (a 4xx reply, a timeout, the
# server unreachable) is retried about TRACKER_EMAIL_RETRY_SECONDS * 2**(attempt-1) after
# that failure, at most TRACKER_EMAIL_RETRY_MAX_SECONDS (±50% jitter), until
# TRACKER_EMAIL_RETRY_LIFETIME_HOURS have passed since the first one; then it is failed.
# Mail servers keep trying for days (Postfix: 5); an outage of hours must not lose mail.
TRACKER_EMAIL_RETRY_SECONDS = env.int("TRACKER_EMAIL_RETRY_SECONDS", default=120)
TRACKER_EMAIL_RETRY_MAX_SECONDS = env.int("TRACKER_EMAIL_RETRY_MAX_SECONDS", default=3600)
TRACKER_EMAIL_RETRY_LIFETIME_HOURS = env.float("TRACKER_EMAIL_RETRY_LIFETIME_HOURS", default=72)
# A row "sending" this long is orphaned (its worker died) and is sent again. It must outlast
# the send task's hard time limit (180 s), or a live worker would be second-guessed.
TRACKER_EMAIL_SENDING_TIMEOUT_SECONDS = env.int(
    "TRACKER_EMAIL_SENDING_TIMEOUT_SECONDS", default=600
)
if TRACKER_EMAIL_SENDING_TIMEOUT_SECONDS <= 180:
    raise ImproperlyConfigured(
        "TRACKER_EMAIL_SENDING_TIMEOUT_SECONDS must be more than the send task's 180 s time limit."
    )
# A pending row queued this long ago is assumed lost by the broker (e.g. Redis restarted
# empty) and queued again; a duplicate broker message costs nothing, the claim sees to that.
TRACKER_EMAIL_REQUEUE_AFTER_SECONDS = env.int("TRACKER_EMAIL_REQUEUE_AFTER_SECONDS", default=120)

# Subscriber alerts (see commitments/alerts/).
TRACKER_ALERT_CONFIRM_MAX_AGE_DAYS = env.int("TRACKER_ALERT_CONFIRM_MAX_AGE_DAYS", default=3)
TRACKER_ALERT_RATE_PER_IP = env.str("TRACKER_ALERT_RATE_PER_IP", default="20/h")
TRACKER_ALERT_RATE_PER_ADDRESS = env.str("TRACKER_ALERT_RATE_PER_ADDRESS", default="5/h")
# Keys the hashes in the suppression list. Set it once and never rotate it (a new key
# forgets every suppressed address); unset, it follows SECRET_KEY.
TRACKER_ALERT_HASH_KEY = env.str("TRACKER_ALERT_HASH_KEY", default="") or SECRET_KEY
# Right of reply: the default days a company has to answer, and the days its link keeps
# working after that (a late reply is still welcome, and still dated as late).
TRACKER_REPLY_DAYS = env.int("TRACKER_REPLY_DAYS", default=14)
TRACKER_REPLY_GRACE_DAYS = env.int("TRACKER_REPLY_GRACE_DAYS", default=7)
TRACKER_REPLY_RATE_PER_IP = env.str("TRACKER_REPLY_RATE_PER_IP", default="10/h")
# Whom a company writes to about a link that no longer works (the reply pages name it).
TRACKER_CONTACT_EMAIL = env.str("TRACKER_CONTACT_EMAIL", default="") or DEFAULT_FROM_EMAIL
if TRACKER_REPLY_DAYS < 1 or TRACKER_REPLY_GRACE_DAYS < 0:
    raise ImproperlyConfigured(
        "TRACKER_REPLY_DAYS must be at least 1 and TRACKER_REPLY_GRACE_DAYS at least 0."
    )
# Notifications per delivery task: one SMTP connection carries a whole batch.
TRACKER_DELIVERY_BATCH_SIZE = env.int("TRACKER_DELIVERY_BATCH_SIZE", default=200)
RATELIMIT_USE_CACHE = "default"

# Fetching sources (commitments/domain/fetching.py): the link checker and the archiver.
# Host names (or host:port) that may resolve to private or loopback addresses; for tests
# that run a local server. Empty in every real deployment.
TRACKER_FETCH_ALLOWED_HOSTS = [
    h.lower() for h in env.list("TRACKER_FETCH_ALLOWED_HOSTS", default=[])
]
TRACKER_FETCH_TIMEOUT_SECONDS = env.float("TRACKER_FETCH_TIMEOUT_SECONDS", default=10.0)
TRACKER_FETCH_MAX_REDIRECTS = env.int("TRACKER_FETCH_MAX_REDIRECTS", default=5)
TRACKER_FETCH_MAX_BYTES = env.int("TRACKER_FETCH_MAX_BYTES", default=1024 * 1024)
# Link checking (commitments/domain/linkcheck.py): each source every TRACKER_SOURCE_CHECK_DAYS,
# spread over that period; a source failing longer than TRACKER_SOURCE_BROKEN_DAYS is broken.
TRACKER_SOURCE_CHECK_DAYS = env.int("TRACKER_SOURCE_CHECK_DAYS", default=7)
TRACKER_SOURCE_BROKEN_DAYS = env.int("TRACKER_SOURCE_BROKEN_DAYS", default=7)
# Requests to one host per minute, across all workers (the rest wait for the next minute).
TRACKER_LINKCHECK_PER_HOST_PER_MINUTE = env.int("TRACKER_LINKCHECK_PER_HOST_PER_MINUTE", default=6)
# Sources one run of the checker takes at most (beat runs it every minute).
TRACKER_LINKCHECK_BATCH_SIZE = env.int("TRACKER_LINKCHECK_BATCH_SIZE", default=30)
# Archiving new sources (commitments/domain/archiving.py): the Internet Archive's Save Page
# Now API in production; off (empty) in development and tests unless set.
TRACKER_ARCHIVE_URL = env.str(
    "TRACKER_ARCHIVE_URL", default="https://web.archive.org/save" if PRODUCTION else ""
)
# Save Page Now keys (archive.org/account/s3.php); without them requests are anonymous.
TRACKER_ARCHIVE_ACCESS_KEY = env.str("TRACKER_ARCHIVE_ACCESS_KEY", default="")
TRACKER_ARCHIVE_SECRET_KEY = env.str("TRACKER_ARCHIVE_SECRET_KEY", default="")
# Every key="ip" limit counts per client, derived from TRUSTED_PROXY_COUNT as axes does.
RATELIMIT_IP_META_KEY = "tracker.security.client_ip"

# Logs: readable lines in development, one JSON object per line in production; both carry
# the request id. Nothing secret is logged: settings are never dumped, emails are not logged.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tracker.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Celery installs its own handlers; let its records reach ours with the same format.
        "celery": {"level": env.str("LOG_LEVEL", default="INFO")},
        "axes": {"level": "WARNING"},
        # One line per request, naming the address the link checker pinned: the checker's
        # own records say what matters.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# --- Security ---------------------------------------------------------------------------

# Staff login: lock out a username from an IP after repeated failures (not the whole IP,
# so one office behind NAT is not locked out by one person's typos).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("AXES_COOLOFF_MINUTES", default=30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "tracker.security.client_ip"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# How many proxies in front of the app append to X-Forwarded-For (0: use REMOTE_ADDR). Login
# lockouts and every per-IP rate limit read the client from it (tracker/security.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Who must confirm a one-time code to use the admin: superusers | staff | none.
TRACKER_REQUIRE_2FA = env.str("TRACKER_REQUIRE_2FA", default="superusers" if PRODUCTION else "none")
if TRACKER_REQUIRE_2FA not in {"superusers", "staff", "none"}:
    raise ImproperlyConfigured(
        f"TRACKER_REQUIRE_2FA={TRACKER_REQUIRE_2FA!r} must be superusers, staff or none."
    )
OTP_TOTP_ISSUER = "Commitment Tracker"

# A strict policy on every response, admin and error pages included: nothing inline, nothing
# from elsewhere. Templates therefore carry no inline <script> or style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Forms here are small; anything bigger is refused with 400 before it is read into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

if PRODUCTION:
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto (set the variable empty to
    # disable when the app terminates TLS itself).
    _proxy_header = env.str("SECURE_PROXY_SSL_HEADER", default="HTTP_X_FORWARDED_PROTO")
    SECURE_PROXY_SSL_HEADER = (_proxy_header, "https") if _proxy_header else None
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health$"]  # the container healthcheck speaks plain HTTP
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    if SECURE_HSTS_SECONDS < 31_536_000:
        raise ImproperlyConfigured("SECURE_HSTS_SECONDS must be at least one year (31536000).")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preload-ready by default; submitting the domain to the preload list stays a human decision.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "SECRET_KEY is too weak: use at least 50 random characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )

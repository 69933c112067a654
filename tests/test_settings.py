"""Settings come from the environment and fail loudly when production is misconfigured."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "Zq8-vN3rT5yW1uP0aS4dF7gH2jK9lX6cV_bM" * 2,
    "DATABASE_URL": "postgres://tracker@db:5432/tracker",
    "ALLOWED_HOSTS": "tracker.example.org",
    "CELERY_BROKER_URL": "redis://redis:6379/0",
    "EMAIL_URL": "smtp://mail.example.org:587",
    "SITE_URL": "https://tracker.example.org",
}


def load_settings(**overrides):
    """Import the settings in a clean process with exactly this environment."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(ROOT))}
    env.update({k: v for k, v in overrides.items() if v is not None})
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import tracker.settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_no_environment_gives_a_debug_sqlite_setup():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3"]


def test_production_with_every_variable_starts():
    result = load_settings(**PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "django.db.backends.postgresql"]


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "CELERY_BROKER_URL", "EMAIL_URL"]
)
def test_production_refuses_to_start_without(missing):
    result = load_settings(**{**PRODUCTION_ENV, missing: None})
    assert result.returncode != 0
    assert f"{missing} must be set when DJANGO_ENV=production" in result.stderr


def test_a_malformed_boolean_is_an_error_not_false():
    result = load_settings(DEBUG="yes please")
    assert result.returncode != 0
    assert "DEBUG='yes please' is not a boolean" in result.stderr


def test_debug_cannot_be_on_in_production():
    result = load_settings(**PRODUCTION_ENV, DEBUG="true")
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_an_unknown_time_zone_is_an_error():
    result = load_settings(TRACKER_TIME_ZONE="Mars/Olympus_Mons")
    assert result.returncode != 0
    assert "TRACKER_TIME_ZONE='Mars/Olympus_Mons' is not a known time zone" in result.stderr


def test_a_sending_timeout_shorter_than_the_send_task_time_limit_is_an_error():
    result = load_settings(TRACKER_EMAIL_SENDING_TIMEOUT_SECONDS="120")
    assert result.returncode != 0
    assert "TRACKER_EMAIL_SENDING_TIMEOUT_SECONDS must be more than" in result.stderr


def test_the_mail_retry_and_recovery_intervals_come_from_the_environment():
    names = [
        "TRACKER_EMAIL_RETRY_LIFETIME_HOURS",
        "TRACKER_EMAIL_RETRY_MAX_SECONDS",
        "TRACKER_EMAIL_SENDING_TIMEOUT_SECONDS",
        "TRACKER_EMAIL_REQUEUE_AFTER_SECONDS",
    ]
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(ROOT))}
    env |= dict(zip(names, ["120", "900", "1200", "30"], strict=True))
    code = f"import tracker.settings as s; print(*[getattr(s, n) for n in {names!r}])"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["120.0", "900", "1200", "30"]
    assert all(f"\n{name}=" in (ROOT / ".env.example").read_text() for name in names)


def test_secrets_can_come_from_files(tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(PRODUCTION_ENV["SECRET_KEY"])
    env = {**PRODUCTION_ENV, "SECRET_KEY": None, "SECRET_KEY_FILE": str(secret_file)}
    result = load_settings(**env)
    assert result.returncode == 0, result.stderr


def test_production_refuses_a_weak_secret_key():
    result = load_settings(**{**PRODUCTION_ENV, "SECRET_KEY": "x" * 60})
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_production_refuses_hsts_shorter_than_a_year():
    result = load_settings(**PRODUCTION_ENV, SECURE_HSTS_SECONDS="3600")
    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS must be at least one year" in result.stderr

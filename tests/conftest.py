import os

import pytest

from tests import factories

IN_CI = os.environ.get("CI") == "true"


def require_or_skip(condition, reason):
    """Skip locally when a service or browser is missing; in CI that is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _tracker_defaults(settings, tmp_path):
    settings.TRACKER_TIME_ZONE = "America/Los_Angeles"
    settings.SITE_URL = "https://tracker.example.org"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.TRACKER_STAFF_EMAILS = []
    # No test sees whole-table files another run (or development) built.
    settings.TRACKER_EXPORT_DIR = str(tmp_path / "exports")


@pytest.fixture
def company(db):
    return factories.CompanyFactory(name="Amazon", slug="amazon")


@pytest.fixture
def pledge(company):
    return factories.PledgeFactory(
        company=company,
        title="One-year moratorium on police use of Rekognition",
        slug="amazon-moratorium",
    )


@pytest.fixture
def superuser(db):
    return factories.UserFactory(username="root", is_superuser=True)

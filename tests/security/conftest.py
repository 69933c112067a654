import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # A superuser per test; real password hashing would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

import pytest

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Staff users are made by the dozen here; real password hashing would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editor(db):
    return UserFactory(username="edna", groups=["Editors"])


@pytest.fixture
def reviewer(db):
    return UserFactory(username="rita", groups=["Reviewers"])


@pytest.fixture
def staff_without_role(db):
    return UserFactory(username="nobody")


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client

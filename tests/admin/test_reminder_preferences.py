"""Each staff member chooses how deadline reminders reach them, from the admin."""

import pytest
from django.urls import reverse

from commitments.models import ReminderPreference

pytestmark = pytest.mark.django_db


def test_the_page_explains_the_choices_with_this_installations_numbers(reviewer_client, settings):
    settings.TRACKER_DIGEST_THRESHOLD, settings.TRACKER_DIGEST_HOUR = 3, 7
    page = reviewer_client.get(reverse("admin:reminder_emails")).content.decode()
    assert "the first 3 reminders of a day arrive one by one" in page
    assert "at 07:00 (America/Los_Angeles time)" in page
    assert 'value="auto" required id="id_mode_0" checked' in page  # the default


def test_a_reviewer_chooses_the_digest(reviewer_client, reviewer):
    response = reviewer_client.post(reverse("admin:reminder_emails"), {"mode": "digest"})
    assert response.status_code == 302
    assert ReminderPreference.objects.get(user=reviewer).mode == "digest"
    page = reviewer_client.get(response.url).content.decode()
    assert "Saved: One daily digest." in page


def test_a_made_up_choice_is_refused_and_changes_nothing(reviewer_client, reviewer):
    response = reviewer_client.post(reverse("admin:reminder_emails"), {"mode": "hourly"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ReminderPreference.objects.exists()


def test_the_admin_index_links_to_it(editor_client):
    page = editor_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:reminder_emails") in page


def test_a_superuser_sets_it_for_a_colleague_on_their_user_page(superuser_client, reviewer):
    page = superuser_client.get(reverse("admin:auth_user_change", args=[reviewer.pk]))
    assert "Reminder emails" in page.content.decode()

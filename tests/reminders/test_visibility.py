"""What staff and operators can see: /health, the notifications admin, the sweep command."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db.utils import OperationalError
from django.urls import reverse
from django.utils import timezone

from commitments.models import Heartbeat, Notification
from commitments.public.tasks import build_exports
from commitments.public.views import health
from tests.reminders.conftest import la

pytestmark = pytest.mark.django_db


class TestHealth:
    def test_it_is_healthy_with_a_recent_sweep(self, client, settings):
        settings.TRACKER_SWEEP_INTERVAL_SECONDS = 120
        swept = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5)
        Heartbeat.record(Heartbeat.SWEEP, swept)
        response = client.get("/health")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert (body["database"], body["broker"], body["sweep"]) == ("ok", "ok", "ok")
        assert body["last_sweep"] == swept.isoformat()
        assert 300 <= body["last_sweep_age_seconds"] < 360
        assert response["Cache-Control"].startswith("max-age=0")

    def test_a_sweep_older_than_three_intervals_is_a_503(self, client, settings):
        settings.TRACKER_SWEEP_INTERVAL_SECONDS = 120
        Heartbeat.record(Heartbeat.SWEEP, timezone.now() - dt.timedelta(seconds=361))
        response = client.get("/health")
        assert response.status_code == 503
        assert (response.json()["status"], response.json()["sweep"]) == ("fail", "late")

    def test_no_sweep_yet_is_a_503(self, client):
        response = client.get("/health")
        assert response.status_code == 503
        assert response.json()["sweep"] == "never run"

    def test_a_sweep_run_makes_it_healthy(self, client, pledge, queued):
        call_command("sweep_deadlines", stdout=StringIO())
        assert client.get("/health").status_code == 200

    def test_whole_table_files_not_built_yet_are_said_but_not_a_failure(self, client):
        Heartbeat.record(Heartbeat.SWEEP, timezone.now())
        response = client.get("/health")
        assert (response.status_code, response.json()["exports"]) == (200, "not built yet")

    def test_a_build_that_stopped_leaving_the_files_current_is_a_503(
        self, client, settings, tmp_path, pledge
    ):
        settings.TRACKER_EXPORT_DIR = str(tmp_path)
        Heartbeat.record(Heartbeat.SWEEP, timezone.now())
        build_exports()  # the beat task: builds, and says the files are current
        assert client.get("/health").json()["exports"] == "ok"
        build_exports()  # nothing changed: still current, still recorded
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=14)):
            Heartbeat.record(Heartbeat.SWEEP, timezone.now())
            assert client.get("/health").status_code == 200
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
            Heartbeat.record(Heartbeat.SWEEP, timezone.now())
            response = client.get("/health")
        assert (response.status_code, response.json()["exports"]) == (503, "late")

    def test_an_unreachable_broker_is_a_503_without_a_traceback(self, client, monkeypatch):
        Heartbeat.record(Heartbeat.SWEEP, timezone.now())
        monkeypatch.setattr(health.app.conf, "broker_url", "redis://127.0.0.1:9/0")
        # Celery reads CELERY_BROKER_URL from the environment before its own settings.
        monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:9/0")
        response = client.get("/health")
        assert response.status_code == 503
        assert response.json()["broker"] == "unavailable"
        assert "Traceback" not in response.content.decode()

    def test_a_database_failure_is_a_503_json(self, client, monkeypatch):
        def down():
            raise OperationalError("connection refused")

        monkeypatch.setattr(health, "check_database", down)
        response = client.get("/health")
        assert response.status_code == 503
        assert response.json() == {
            "database": "unavailable",
            "broker": "ok",
            "last_sweep": None,
            "sweep_interval_seconds": 120,
            "status": "fail",
        }


class TestCommand:
    def test_it_runs_the_sweep_and_says_what_it_did(self, pledge, staff_emails, queued):
        out = StringIO()
        with time_machine.travel(la(2024, 1, 1, 9, 0), tick=False):
            call_command("sweep_deadlines", stdout=out)
        assert out.getvalue().splitlines() == [
            "Checked 1 pledge(s): 1 reminder(s), 1 deadline-passed event(s), "
            "0 email(s) re-queued, 0 with nobody to remind, 0 error(s).",
            "  passed 2021-06-10: Amazon — One-year moratorium on police use of Rekognition "
            "→ 1 recipient(s)",
        ]
        assert Heartbeat.last(Heartbeat.SWEEP) == la(2024, 1, 1, 9, 0)


class TestAdmin:
    @pytest.fixture
    def rows(self, pledge):
        return [
            Notification.objects.create(
                pledge=pledge,
                kind=kind,
                occurrence=occurrence,
                recipient=recipient,
                status=status,
                last_error=error,
            )
            for kind, occurrence, recipient, status, error in [
                ("passed", "2021-06-10", "a@example.org", "sent", ""),
                (
                    "overdue",
                    "2021-06-10@2021-06-18",
                    "a@example.org",
                    "failed",
                    "SMTPRecipientsRefused",
                ),
                ("overdue", "2021-06-10@2021-06-18", "b@example.org", "pending", ""),
            ]
        ]

    def test_staff_filter_failed_reminders_and_search_by_recipient(
        self, client, superuser, rows, django_assert_max_num_queries
    ):
        client.force_login(superuser)
        url = reverse("admin:commitments_notification_changelist")
        with django_assert_max_num_queries(12):
            page = client.get(url, {"status__exact": "failed"})
        assert page.status_code == 200
        assert list(page.context["cl"].result_list) == [rows[1]]
        page = client.get(url, {"q": "b@example"})
        assert list(page.context["cl"].result_list) == [rows[2]]

    def test_the_rows_are_read_only(self, client, superuser, rows):
        client.force_login(superuser)
        page = client.get(reverse("admin:commitments_notification_change", args=[rows[1].pk]))
        assert page.status_code == 200
        assert b"SMTPRecipientsRefused" in page.content
        assert b'name="_save"' not in page.content

    def test_retrying_failed_notifications_queues_them_again(
        self, client, superuser, rows, queued, django_capture_on_commit_callbacks
    ):
        client.force_login(superuser)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("admin:commitments_notification_changelist"),
                {"action": "retry_failed", "_selected_action": [r.pk for r in rows]},
                follow=True,
            )
        assert "1 notification(s) queued to be sent again." in response.content.decode()
        assert queued == [[rows[1].pk]]
        rows[1].refresh_from_db()
        assert (rows[1].status, rows[1].attempts) == ("pending", 0)
        assert Notification.objects.get(pk=rows[0].pk).status == "sent"

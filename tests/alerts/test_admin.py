from django.conf import settings
from django.core import mail

from commitments.models import Notification, Subscriber, Suppression
from commitments.models.subscribers import address_hash
from tests.alerts.conftest import follow
from tests.factories import PledgeFactory

ADMIN = f"/{settings.ADMIN_URL}commitments"


def test_staff_see_followers_and_delivery_results_per_pledge(client, superuser, pledge):
    client.force_login(superuser)
    quiet = PledgeFactory(company=pledge.company, title="A quiet pledge")
    for n in range(3):
        follow(f"reader{n}@example.org", scope="pledge", pledge=pledge)
    subscriber = Subscriber.objects.get(email="reader0@example.org")
    for status, n in (("sent", 2), ("failed", 1)):
        for i in range(n):
            Notification.objects.create(
                kind="alert",
                pledge=pledge,
                subscriber=subscriber,
                recipient=subscriber.email,
                occurrence=f"event:{status}{i}",
                status=status,
            )
    html = client.get(f"{ADMIN}/pledgefollowers/").content.decode()
    row = html[html.index(pledge.title) :].split("</tr>")[0]
    cells = [c.split("<")[0] for c in row.split('class="field-')[1:]]
    assert [c.split(">")[1] for c in cells][-3:] == ["3", "2", "1"]
    assert quiet.title in html

    html = client.get(f"{ADMIN}/subscriber/").content.decode()
    assert "reader0@example.org" in html
    assert "failed deliveries" in html.lower()


def test_staff_can_suppress_an_address_and_it_gets_no_more_mail(client, superuser, pledge):
    client.force_login(superuser)
    subscription = follow("ann@example.org")
    response = client.post(
        f"{ADMIN}/subscriber/",
        {"action": "suppress", "_selected_action": [subscription.subscriber.pk]},
        follow=True,
    )
    assert "Suppressed 1 address" in response.content.decode()
    assert Suppression.objects.get().reason == "staff"
    assert Suppression.blocks_alerts("ann@example.org")


def test_staff_can_suppress_an_address_that_never_subscribed(client, superuser):
    client.force_login(superuser)
    response = client.post(
        f"{ADMIN}/suppression/add/", {"email": "Complainer@Example.org", "reason": "staff"}
    )
    assert response.status_code == 302
    assert Suppression.objects.get().address_hash == address_hash("complainer@example.org")
    assert "complainer" not in str(Suppression.objects.values())  # only the hash is kept
    assert mail.outbox == []


def test_nothing_about_subscribers_can_be_exported_or_added_by_staff(client, superuser):
    client.force_login(superuser)
    follow("ann@example.org")
    for model in ("subscriber", "suppression", "pledgefollowers"):
        html = client.get(f"{ADMIN}/{model}/").content.decode()
        assert client.get(f"{ADMIN}/{model}/").status_code == 200
        assert "export" not in html.lower()
        assert client.get(f"{ADMIN}/{model}/export/").status_code in {302, 404}
    assert client.get(f"{ADMIN}/subscriber/add/").status_code == 403

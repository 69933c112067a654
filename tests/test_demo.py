import datetime as dt

import pytest
from django.core.management import call_command

from commitments.models import Company, Pledge, PledgeEvent, Source


def counts():
    return tuple(m.objects.count() for m in (Company, Pledge, Source, PledgeEvent))


@pytest.mark.django_db
def test_load_demo_loads_the_june_2020_pledges_without_verdicts():
    call_command("load_demo")
    moratorium = Pledge.objects.get(slug="amazon-rekognition-police-moratorium")
    assert (moratorium.announced_on, moratorium.deadline) == (
        dt.date(2020, 6, 10),
        dt.date(2021, 6, 10),
    )
    ibm = Pledge.objects.get(company__name="IBM")
    assert (ibm.announced_on, ibm.deadline) == (dt.date(2020, 6, 8), None)
    donation = Pledge.objects.get(category=Pledge.Category.DONATION)
    assert (donation.amount_pledged, donation.currency) == (10_000_000, "USD")
    assert set(Pledge.objects.values_list("status", flat=True)) == {Pledge.Status.NOT_YET_RATED}
    assert all(p.is_published and p.sources.exists() for p in Pledge.objects.all())


@pytest.mark.django_db
def test_load_demo_twice_changes_nothing():
    call_command("load_demo")
    before = counts()
    call_command("load_demo")
    assert counts() == before == (2, 3, 4, 3)

"""Migration 0015 moves each single "delivered" figure into one payment, and back."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("commitments", "0014_right_of_reply")]
AFTER = [("commitments", "0015_money_followed")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_delivered_figure_becomes_one_payment_and_comes_back():
    try:
        apps = migrate(BEFORE)
        Company = apps.get_model("commitments", "Company")
        Pledge = apps.get_model("commitments", "Pledge")
        Source = apps.get_model("commitments", "Source")
        amazon = Company.objects.create(slug="amazon", name="Amazon")

        def pledge(slug, **money):
            return Pledge.objects.create(
                company=amazon,
                slug=slug,
                title=slug,
                success_criteria="Paid.",
                announced_on=dt.date(2020, 6, 3),
                **money,
            )

        sourced = pledge("sourced", amount_pledged=10, amount_delivered=4, currency="usd")
        old = Source.objects.create(pledge=sourced, url="https://a.example/1", title="Old")
        new = Source.objects.create(
            pledge=sourced, url="https://a.example/2", title="New", published_on=dt.date(2021, 1, 1)
        )
        pledge("unsourced", amount_pledged=10, amount_delivered=3, currency="EUR")
        pledge("nothing", amount_pledged=10, currency="USD")
        assert old.pk < new.pk

        apps = migrate(AFTER)
        Disbursement = apps.get_model("commitments", "Disbursement")
        rows = {d.pledge.slug: d for d in Disbursement.objects.select_related("pledge")}
        assert set(rows) == {"sourced", "unsourced"}
        assert (rows["sourced"].amount, rows["sourced"].currency) == (Decimal("4.00"), "USD")
        assert rows["sourced"].source_id == new.pk  # the newest source: counts as confirmed
        assert rows["unsourced"].source_id is None  # no source: announced, not confirmed
        assert (rows["sourced"].recipient, rows["sourced"].paid_on) == ("", None)

        apps = migrate(BEFORE)
        Pledge = apps.get_model("commitments", "Pledge")
        figures = dict(Pledge.objects.values_list("slug", "amount_delivered"))
        assert figures == {"sourced": Decimal("4.00"), "unsourced": None, "nothing": None}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

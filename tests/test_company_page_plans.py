"""The company page reads its pledges through its own indexes, not through every row.

At bench scale (a company with 683 pledges) reading all of a company's rows and sorting
them cost the page 10 ms of database time; the partial indexes of migration 0021 make
its list and chart each a short index scan in order. PostgreSQL only.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.bulk import populate
from tests.conftest import require_or_skip

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_companies(db):
    require_or_skip(connection.vendor == "postgresql", "query plans need PostgreSQL")
    populate(600, companies=3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE commitments_pledge")


def plans(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    found = {}
    with transaction.atomic(), connection.cursor() as cursor:
        # With so few rows a sequential scan is as cheap as any index; this asks which
        # index the planner takes when it must take one, as it does at scale.
        cursor.execute("SET LOCAL enable_seqscan = off")
        for query in queries.captured_queries:
            if "commitments_pledge" in query["sql"] and query["sql"].startswith("SELECT"):
                cursor.execute("EXPLAIN " + query["sql"])
                found[query["sql"]] = "\n".join(row[0] for row in cursor.fetchall())
    return found


def test_the_company_page_reads_its_pledges_through_its_indexes(client, big_companies):
    found = plans(client, "/companies/firm-00000/")

    def plans_of(clause):
        return [plan for sql, plan in found.items() if clause in sql]

    newest_first = plans_of('ORDER BY "commitments_pledge"."announced_on" DESC')
    by_deadline = plans_of('ORDER BY "commitments_pledge"."deadline" ASC')
    assert newest_first, list(found)
    assert by_deadline, list(found)
    # The list: a page read off the index in order, no sort of all the company's rows.
    assert all("pledge_company_newest" in plan for plan in newest_first), newest_first
    assert not any(plan.split("\n")[1].strip().startswith("->  Sort") for plan in newest_first)
    # The chart: the first bars by deadline, off the other index. (The scorecard and money
    # read that index alone once VACUUM has marked the pages visible, as at bench scale.)
    assert all("pledge_company_deadlines" in plan for plan in by_deadline), by_deadline

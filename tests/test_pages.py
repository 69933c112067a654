import pytest
from django.core.management import call_command

from tests.factories import PledgeFactory


@pytest.fixture
def demo(db):
    call_command("load_demo")


def test_home_lists_the_demo_pledges_newest_first(client, demo):
    html = client.get("/").content.decode()
    titles = [
        "One-year moratorium on police use of Rekognition facial recognition",
        "Exit the general-purpose facial recognition business",
        "Donate $10 million to organisations working for social justice",
    ]
    positions = [html.index(title) for title in titles]
    assert positions == sorted(positions)


def test_the_pledge_page_shows_criteria_sources_and_the_extended_deadline(client, demo):
    response = client.get("/pledges/amazon-rekognition-police-moratorium/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "apart from the stated anti-trafficking exception" in html
    assert "Amazon halts police use of its facial recognition technology" in html
    assert "overdue" not in html  # extended before it passed: never overdue
    assert "extended on 18 May 2021 with no end date" in html
    assert "The Verge" in html
    assert "<strong>Rekognition</strong>" in html


def test_drafts_are_not_public(client, company):
    draft = PledgeFactory(company=company, is_published=False, title="Secret plan")
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert "Secret plan" not in client.get("/").content.decode()


def test_html_in_a_summary_is_never_rendered(client, company):
    pledge = PledgeFactory(
        company=company, summary="<script>alert(1)</script> [x](javascript:alert(1)) **ok**"
    )
    html = client.get(pledge.get_absolute_url()).content.decode()
    assert "<script>alert" not in html
    assert 'href="javascript' not in html
    assert "<strong>ok</strong>" in html


def test_an_unknown_pledge_is_a_404(client, db):
    assert client.get("/pledges/no-such-pledge/").status_code == 404

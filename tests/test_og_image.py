"""The Open Graph picture of a pledge: a real PNG, named on the page, drawn once per look."""

import io
import re
from unittest import mock

import pytest
from django.core.cache import cache
from PIL import Image

from commitments.domain import workflow
from commitments.public import og_image
from tests.factories import PledgeFactory, SourceFactory


def picture(client, slug):
    response = client.get(f"/pledges/{slug}/og.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(response.content))


def test_a_pledge_has_a_1200_by_630_png(client, pledge):
    image = picture(client, pledge.slug)
    assert (image.format, image.size) == ("PNG", (1200, 630))


def test_the_pledge_page_names_its_picture_for_social_networks(client, pledge):
    html = client.get(pledge.get_absolute_url()).content.decode()
    assert (
        '<meta property="og:image" '
        'content="https://tracker.example.org/pledges/amazon-moratorium/og.png">'
    ) in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    alt = re.search(r'<meta property="og:image:alt" content="([^"]+)">', html).group(1)
    assert alt.startswith("Not yet rated: Amazon — One-year moratorium")


def test_the_picture_is_drawn_once_until_what_it_shows_changes(client, pledge, superuser):
    cache.clear()
    with mock.patch.object(og_image, "draw", wraps=og_image.draw) as draw:
        first = picture(client, pledge.slug)
        PledgeFactory(company=pledge.company)  # an edit elsewhere: a new content version
        assert picture(client, pledge.slug).tobytes() == first.tobytes()
        assert draw.call_count == 1
        workflow.record_verdict(
            pledge,
            status="kept",
            rationale="Done.",
            sources=[SourceFactory(pledge=pledge)],
            actor=superuser,
        )
        assert picture(client, pledge.slug).tobytes() != first.tobytes()
        assert draw.call_count == 2


@pytest.mark.parametrize(
    "title",
    [
        "x" * 200,  # one word wider than the picture
        " ".join(["Extraordinarily"] * 12),  # more lines than fit, within the 200-character limit
        "<b>&amp; émigré — ünïcödé ✓</b>",
    ],
)
def test_any_title_is_drawn_within_the_picture(client, company, title):
    pledge = PledgeFactory(company=company, title=title)
    assert picture(client, pledge.slug).size == (1200, 630)


def test_the_lines_of_a_long_title_fit_and_end_in_an_ellipsis():
    font = og_image._font(60)
    lines = og_image._wrap(" ".join(["Extraordinarily"] * 20), font, 1056, max_lines=3)
    assert len(lines) == 3
    assert lines[-1].endswith(" …")
    assert all(font.getlength(line) <= 1056 for line in lines)

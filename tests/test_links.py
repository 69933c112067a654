"""Public URLs built by joining strings are exactly what reverse() gives."""

import pytest
from django.urls import reverse, set_script_prefix

from commitments.alerts import tokens
from commitments.public import links


@pytest.mark.parametrize(
    ("name", "argument"),
    [
        ("commitments:pledge", {"slug": "amazon-rekognition-moratorium"}),
        ("commitments:company", {"slug": "ibm"}),
        ("commitments:alerts-unsubscribe", {"token": tokens.make(tokens.UNSUBSCRIBE, 42)}),
        ("commitments:alerts-confirm", {"token": tokens.make(tokens.CONFIRM, 7)}),
    ],
)
def test_a_joined_url_is_the_reversed_url(name, argument):
    assert links.url(name, **argument) == reverse(name, kwargs=argument)


@pytest.mark.parametrize("name", ["commitments:home", "commitments:feed", "commitments:companies"])
def test_a_fixed_url_is_the_reversed_url(name):
    assert links.fixed_url(name) == reverse(name)


def test_urls_follow_the_script_prefix_the_site_is_mounted_under():
    links.url("commitments:company", slug="ibm")  # remembered under the prefix "/"
    set_script_prefix("/tracker/")
    try:
        assert links.url("commitments:company", slug="ibm") == "/tracker/companies/ibm/"
        assert links.fixed_url("commitments:home") == reverse("commitments:home") == "/tracker/"
    finally:
        set_script_prefix("/")

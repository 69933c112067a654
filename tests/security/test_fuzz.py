"""Fuzzing every public URL, query parameter and form: nothing the public sends gives a 500.

The admin is fuzzed the same way as a logged-in superuser (staff-only, but a 500 is a bug):
every registered ModelAdmin's changelist, filters, search and object URLs, listed from the
admin site itself so a newly registered one is fuzzed too. Run it on PostgreSQL as well:
NUL bytes only fail there.

The test client re-raises a view's exception, so a crash fails with its traceback.
Budgets are bounded (``EXAMPLES`` per endpoint) so the file stays well under a minute.
"""

import datetime as dt
import sys
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commitments.models import Page, Pledge
from tests.factories import (
    CompanyFactory,
    EventFactory,
    PledgeFactory,
    SourceFactory,
)

EXAMPLES = 50
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # The database rows are read-only setup shared by every example.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text a browser, a script or an attacker might send: any unicode but lone surrogates
# (which no client can encode), NUL bytes, control characters, numbers of every size.
any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
numbers = st.integers(min_value=-(10**40), max_value=10**40).map(str)
cursors = st.builds(
    "{}.{}".format,
    st.one_of(st.dates(min_value=dt.date(1, 1, 1)).map(str), any_text),
    st.one_of(numbers, any_text),
)
# Digits in other scripts: str.isdigit() says yes to "²" and "١", int() does not always.
unicode_digits = st.text(alphabet=st.characters(categories=("Nd", "No")), min_size=1, max_size=5)
huge = st.sampled_from(["x" * 10_000, "é" * 5_000, "\x00" * 1000, "%00" * 500, "9" * 5000])
value = st.one_of(
    any_text, numbers, unicode_digits, cursors, huge, st.sampled_from(["", " ", "0", "-1", "null"])
)
slugs = st.from_regex(r"[-a-zA-Z0-9_]{1,300}", fullmatch=True)
tokens = st.one_of(
    st.from_regex(r"[^/?#\x00]{1,400}", fullmatch=True).filter(lambda t: t not in (".", "..")),
    st.sampled_from(["a:b:c", "e30:1:2", "x" * 2000, "1", "%00"]),
)

TIMELINE_PARAMS = ["q", "company", "category", "status", "year", "before", "after", "page"]
API_PARAMS = [*TIMELINE_PARAMS, "limit"]


def params(names):
    """A query: some of the known parameters (repeated ones too) and some made-up ones."""
    known = st.dictionaries(st.sampled_from(names), st.one_of(value, st.lists(value, max_size=3)))
    unknown = st.dictionaries(any_text.filter(bool), value, max_size=3)
    return st.tuples(known, unknown).map(lambda pair: {**pair[1], **pair[0]})


@pytest.fixture
def site(db):
    company = CompanyFactory(name="Amazon", slug="amazon")
    pledge = PledgeFactory(company=company, slug="moratorium")
    SourceFactory(pledge=pledge)
    EventFactory(pledge=pledge)
    PledgeFactory(company=company, slug="draft", is_published=False)
    PledgeFactory(company=company, slug="open-ended", deadline=None)
    Page.objects.create(slug="methodology", title="Methodology", body="How we rate.")
    return pledge


def check(response):
    assert response.status_code < 500, response.status_code
    if response.status_code == 404 and response["Content-Type"].startswith("text/html"):
        # The site's own page, not Django's technical one.
        assert "We could not find that page" in response.content.decode()
    return response


LISTS = {
    "home": ("commitments:home", TIMELINE_PARAMS),
    "companies": ("commitments:companies", ["after"]),
    "feed": ("commitments:feed", TIMELINE_PARAMS),
    "calendar": ("commitments:calendar", TIMELINE_PARAMS),
    "csv": ("commitments:export_csv", TIMELINE_PARAMS),
    "json": ("commitments:export_json", TIMELINE_PARAMS),
    "api_pledges": ("commitments:api_pledges", API_PARAMS),
    "api_companies": ("commitments:api_companies", API_PARAMS),
    "api_events": ("commitments:api_events", API_PARAMS),
    "sitemap": ("commitments:sitemap", ["p", "section"]),
    "methodology": ("commitments:methodology", ["q"]),
    "subscribe": ("commitments:alerts-subscribe", ["pledge", "company", "scope", "topics"]),
}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_list_pages_never_fail_on_any_query(client, site, name):
    url_name, names = LISTS[name]

    @fuzz
    @given(query=params(names))
    def run(query):
        response = check(client.get(reverse(url_name), query))
        if response.streaming:
            b"".join(response.streaming_content)  # a crash mid-stream is a crash too

    run()


DETAILS = [
    "commitments:pledge",
    "commitments:pledge_feed",
    "commitments:pledge_calendar",
    "commitments:company",
    "commitments:company_feed",
    "commitments:company_calendar",
    "commitments:page",
    "commitments:api_pledge",
    "commitments:api_company",
]


@pytest.mark.parametrize("url_name", DETAILS)
def test_detail_pages_never_fail_on_any_slug_or_query(client, site, url_name):
    @fuzz
    @given(
        slug=st.one_of(slugs, st.sampled_from(["amazon", "moratorium", "draft", "open-ended"])),
        query=params(["after", "limit", "page"]),
    )
    def run(slug, query):
        check(client.get(reverse(url_name, args=[slug]), query))

    run()


def test_sitemap_sections_never_fail(client, site):
    @fuzz
    @given(section=st.from_regex(r"[^/?#\x00]{1,200}", fullmatch=True), page=value)
    def run(section, page):
        check(client.get(f"/sitemap-{section}.xml", {"p": page}))

    run()


@pytest.mark.parametrize("url_name", ["alerts-confirm", "alerts-unsubscribe", "alerts-manage"])
def test_alert_links_with_garbage_tokens_are_refused_cleanly(client, site, url_name):
    @fuzz
    @given(token=tokens, form=params(["List-Unsubscribe", "leave", "topics_1", "remove_1"]))
    def run(token, form):
        url = reverse(f"commitments:{url_name}", args=[token])
        for response in (client.get(url), client.post(url, form)):
            check(response)
            assert response.status_code in (200, 400, 403, 404), response.status_code

    run()


def test_the_subscribe_form_never_fails_on_any_post(client, site, settings):
    settings.TRACKER_ALERT_RATE_PER_IP = settings.TRACKER_ALERT_RATE_PER_ADDRESS = "10000/h"
    emails = st.one_of(st.emails().map(str), value)
    form = st.fixed_dictionaries(
        {},
        optional={
            "email": st.one_of(emails, st.lists(emails, max_size=3)),
            "scope": st.one_of(st.sampled_from(["all", "company", "pledge"]), value),
            "topics": st.lists(st.one_of(st.sampled_from(["verdict", "upcoming"]), value)),
            "pledge": st.one_of(st.just("moratorium"), st.just("draft"), value),
            "company": st.one_of(st.just("amazon"), value),
        },
    )

    @fuzz
    @given(data=st.tuples(form, params(["csrfmiddlewaretoken"])))
    def run(data):
        fields, extra = data
        response = check(client.post(reverse("commitments:alerts-subscribe"), {**extra, **fields}))
        assert response.status_code in (200, 400, 403, 429), response.status_code

    run()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/pledges/?after=%C2%B2",  # "²": isdigit() but not int()
        "/api/v1/companies/?after=%D9%A1",  # Arabic-Indic one
        "/api/v1/pledges/?after=99999999999999999999999&limit=-99999999999999999999",
        "/api/v1/events/?before=2021-01-01.99999999999999999999999",
        "/?before=9999-12-31.1&year=99999999999999999999",
        "/?after=0001-01-01.-99999999999999999999999",
        "/sitemap-pledges.xml?p=99999999999999999999999",
        "/alerts/?pledge=%00&company=a%00",  # NUL reached PostgreSQL: DataError
        "/companies/?after=Amazon%00",
    ],
)
def test_inputs_that_once_crashed_or_might_are_refused_cleanly(client, site, url):
    assert check(client.get(url)).status_code in (200, 400, 404)


def test_a_nul_byte_in_the_subscribe_form_is_refused_cleanly(client, site):
    response = client.post(
        reverse("commitments:alerts-subscribe"),
        {
            "email": "a@example.org",
            "scope": "pledge",
            "pledge": "moratorium\x00",
            "company": "\x00",
        },
    )
    assert response.status_code == 200
    assert "That can no longer be followed" in response.content.decode()


def test_an_unpublished_pledge_stays_hidden_whatever_the_query(client, site):
    # The fuzz above proves "no crash"; this is the privacy half of the same inputs.
    draft = Pledge.objects.get(slug="draft")
    assert client.get(draft.get_absolute_url(), {"preview": "1"}).status_code == 404


# --- The admin, as a logged-in superuser ----------------------------------------------------

ADMINS = {model._meta.label: model_admin for model, model_admin in admin.site._registry.items()}
# What once crashed a changelist or an object URL, mixed into the generated values.
ADMIN_VALUES = st.one_of(
    value,
    st.sampled_from(["\x00", "a\x00", "9" * 20, "-" + "9" * 20, "2024-13-45", "abc", "1.5"]),
)
CHANGELIST_PARAMS = ["q", "o", "p", "e", "all", "_facets", "_popup", "_to_field"]


@pytest.fixture
def staff_client(client, site, superuser, settings):
    settings.TRACKER_REQUIRE_2FA = "none"
    client.force_login(superuser)
    return client


def changelist_params(client, model_admin):
    """The query parameters this changelist understands: its filters' and its date hierarchy's."""
    opts = model_admin.model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 200, opts.label
    names = [p for spec in response.context["cl"].filter_specs for p in spec.expected_parameters()]
    if model_admin.date_hierarchy:
        names += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    return [*names, *CHANGELIST_PARAMS]


# A hand-typed date filter (?created_at__gte=2024-01-01) is a naive datetime: Django warns
# and queries it in the current time zone. A warning, not a failure, for staff.
@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime:RuntimeWarning")
@pytest.mark.parametrize("label", sorted(ADMINS))
def test_admin_changelists_never_fail_on_any_filter_search_or_order(staff_client, label):
    model_admin = ADMINS[label]
    opts = model_admin.model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    names = changelist_params(staff_client, model_admin)
    known = st.dictionaries(
        st.sampled_from(names), st.one_of(ADMIN_VALUES, st.lists(ADMIN_VALUES, max_size=3))
    )

    @fuzz
    @given(query=st.tuples(known, params(["q"])).map(lambda pair: {**pair[1], **pair[0]}))
    def run(query):
        check(staff_client.get(url, query))

    run()


def object_urls(model_admin):
    """Each of this admin's URLs that takes ids, as a format string with ``{}`` for each id."""
    templates = []
    for pattern in model_admin.urls:
        groups = pattern.pattern.regex.groups
        if not pattern.name or not groups:
            continue
        placeholders = [str(918273645 + n) for n in range(groups)]
        url = reverse(f"admin:{pattern.name}", args=placeholders)
        for placeholder in placeholders:
            url = url.replace(placeholder, "{}")
        templates.append(url)
    return templates


@pytest.mark.parametrize("label", sorted(ADMINS))
def test_admin_object_urls_never_fail_on_any_id(staff_client, label):
    model_admin = ADMINS[label]
    templates = object_urls(model_admin)
    assert templates, label  # every admin has at least change and delete pages
    real = [str(pk) for pk in model_admin.model._default_manager.values_list("pk", flat=True)[:3]]
    ids = st.one_of(st.sampled_from([*real, "0", "1"]), ADMIN_VALUES)

    @fuzz
    @given(
        template=st.sampled_from(templates),
        id_list=st.lists(ids, min_size=2, max_size=2),
        query=params(["_changelist_filters", "_popup", "_to_field", "p"]),
    )
    def run(template, id_list, query):
        url = template.format(*(quote(i, safe="") for i in id_list[: template.count("{}")]))
        check(staff_client.get(url, query))

    run()


def test_an_action_posted_with_an_absurd_id_is_refused_cleanly(staff_client):
    response = staff_client.post(
        "/admin/commitments/pledge/",
        {"action": "publish_selected", "_selected_action": "9" * 5000},
    )
    assert response.status_code == 400


def test_ids_are_looked_up_when_the_interpreter_converts_numbers_of_any_length(staff_client, site):
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # PYTHONINTMAXSTRDIGITS=0: no limit at all
    try:
        response = staff_client.get(f"/admin/commitments/pledge/{site.pk}/change/")
    finally:
        sys.set_int_max_str_digits(limit)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/admin/commitments/notification/?status__exact=%00",  # DataError on PostgreSQL
        "/admin/commitments/notification/?kind__exact=a%00",
        "/admin/commitments/pledgeevent/?kind__exact=%00",
        "/admin/commitments/pledge/?status__exact=%00",
        "/admin/commitments/notification/?created_at__year=99999999999999999999",  # Overflow
        "/admin/commitments/notification/?created_at__year=2024&created_at__month=99999999999999999999",
        "/admin/commitments/pledge/?announced_on__year=99999999999999999999",
        "/admin/axes/accessattempt/?attempt_time__year=99999999999999999999",
        "/admin/commitments/pledge/{pk}/history/abc/",  # ValueError in simple_history
        "/admin/commitments/pledge/abc/history/",
        "/admin/commitments/pledge/%00/history/",
        "/admin/commitments/company/abc/history/1/",
        "/admin/otp_totp/totpdevice/0/config/",  # DoesNotExist in django-otp's view
        "/admin/auth/group/1/delete/?_to_field=",  # FieldDoesNotExist in Django's
        # More digits than Python turns into an int (4,300): ValueError in our own lookups.
        f"/admin/commitments/pledge/{'9' * 5000}/history/",
        f"/admin/commitments/pledge/{'9' * 5000}/change/",
        f"/admin/commitments/pledge/?company__id__exact={'9' * 5000}",
    ],
)
def test_admin_inputs_that_once_crashed_are_refused_cleanly(staff_client, site, url):
    response = check(staff_client.get(url.format(pk=site.pk)))
    assert response.status_code in (400, 404), response.status_code

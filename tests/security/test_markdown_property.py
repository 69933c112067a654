"""Property: whatever staff type, rendered Markdown holds no script, handler or script URL."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commitments.domain import markdown
from tests.security.corpus import PAYLOADS
from tests.security.html_checks import assert_inert

# Pieces that have broken sanitisers before; hypothesis glues them to arbitrary text.
FRAGMENTS = [
    "<", ">", "</", "/>", '"', "'", "`", "=", "&", "&#", "&#x", ";", ":", "(", ")", "[", "]",
    "!", "\n", "\t", " ", "*", "_", "#", "    ", "> ", "- ", "1. ", "```",
    "<script", "</script>", "<img", "<svg", "<a", "<iframe", "<style", "<math", "<!--", "-->",
    "<![CDATA[", " onerror=", " onload=", " onmouseover=", " href=", " src=", " style=",
    "javascript:", "JaVaScRiPt:", "java\tscript:", "&#106;avascript:", "data:text/html,",
    "vbscript:", "alert(1)", "expression(", "](", "](<", ">)", '"title"', "http://x.example",
    "<javascript:alert(1)>", "<http://x.example/", "\u2028", "\x00", "\ufeff",
]  # fmt: skip

markdown_ish = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.sampled_from(list(PAYLOADS.values())), st.text()),
    max_size=30,
).map("".join)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_ish)
def test_rendered_markdown_never_holds_active_content(text):
    html = markdown.render(text)
    assert_inert(html, repr(text))
    assert "<script" not in html.lower()


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_rendering_arbitrary_unicode_never_fails(text):
    assert isinstance(markdown.render(text), str)

"""An HTML parser's view of a page: does anything in it run script?

Substring checks miss ``<ScRiPt``, entity-encoded schemes and attribute tricks, so
pages are parsed the way a browser tokenises them and every element is judged.
"""

import json
import re
from html.parser import HTMLParser

# What a browser ignores inside a URL scheme: ASCII whitespace and control characters.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20]+")
DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcset", "poster", "data"}
# Elements that load or run other documents or change where links point.
FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet"}


class ActiveContent(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self._script = None  # (attrs, collected text) while inside a <script>

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)
        if tag == "script":
            self._script = (dict(attrs), [])

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_data(self, data):
        if self._script is not None:
            self._script[1].append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            attrs, text = self._script
            self._judge_script(attrs, "".join(text))
            self._script = None

    def close(self):
        super().close()
        if self._script is not None:  # an unclosed <script> swallows the rest of the page
            self.problems.append(f"unclosed <script {self._script[0]}>")

    def _check(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and any(
            name == "http-equiv" and (value or "").lower() == "refresh" for name, value in attrs
        ):
            self.problems.append("<meta http-equiv=refresh>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>: event handler attribute")
            if name in URL_ATTRIBUTES:
                scheme = _IGNORED_IN_SCHEME.sub("", value).lower()
                if scheme.startswith(DANGEROUS_SCHEMES):
                    self.problems.append(f"<{tag} {name}={value!r}>: script URL")
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}>: inline style")

    def _judge_script(self, attrs, text):
        src, kind = attrs.get("src") or "", attrs.get("type") or ""
        if src:
            # The site's own scripts: same-origin paths (static files, the admin's jsi18n).
            if not src.startswith("/") or src.startswith("//") or text.strip():
                self.problems.append(f"<script src={src!r}> not one of the site's own scripts")
        elif kind in ("application/json", "application/ld+json"):
            try:  # json_script data and JSON-LD: inert, as long as it is still exactly JSON
                json.loads(text)
            except ValueError:
                self.problems.append(f"<script type={kind}> is not JSON: {text[:80]!r}")
        else:
            self.problems.append(f"inline <script>: {text[:80]!r}")


def active_content(html):
    """Everything in ``html`` that could run script in a reader's browser (empty: safe)."""
    parser = ActiveContent()
    parser.feed(html)
    parser.close()
    return parser.problems


def assert_inert(html, where=""):
    problems = active_content(html)
    assert not problems, f"{where}: {problems}"

"""Input rules shared by models, forms and the importer."""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

# C0 control characters other than tab, newline and carriage return, plus DEL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def validate_plain_text(value):
    """Reject text that cannot come from a keyboard: NUL bytes, escape codes and the like."""
    if CONTROL_CHARACTERS.search(value or ""):
        raise ValidationError(
            "Remove the invisible control characters from this text.", code="control_characters"
        )


def validate_web_url(value):
    """Only http(s) links: a ``javascript:`` or ``data:`` source would run in readers' browsers."""
    if value and urlsplit(value).scheme.lower() not in {"http", "https"}:
        raise ValidationError(
            "Enter a web address starting with http:// or https://.", code="scheme"
        )

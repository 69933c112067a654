"""The company's reply form: plain text, up to 10 evidence links, a name and a role."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from commitments.domain.validators import validate_plain_text, validate_web_url
from commitments.models.replies import REPLY_BODY_MAX, REPLY_LINK_MAX_LENGTH, REPLY_LINKS_MAX

LINKS_FIELD_MAX = (REPLY_LINK_MAX_LENGTH + 2) * REPLY_LINKS_MAX


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your response",
        max_length=REPLY_BODY_MAX,
        validators=[validate_plain_text],
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=f"Plain text, up to {REPLY_BODY_MAX:,} characters. Separate paragraphs with "
        "a blank line; *emphasis* and lists starting with “- ” are shown as such.",
        error_messages={
            "required": "Write your response.",
            "max_length": "Keep the response under %(limit_value)s characters "
            "(it has %(show_value)s).",
        },
    )
    links = forms.CharField(
        label="Links to evidence (optional)",
        required=False,
        max_length=LINKS_FIELD_MAX,
        validators=[validate_plain_text],
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"Up to {REPLY_LINKS_MAX} web addresses, one per line, starting with "
        "http:// or https://.",
        error_messages={"max_length": f"Give at most {REPLY_LINKS_MAX} links, one per line."},
    )
    name = forms.CharField(
        label="Your name",
        max_length=200,
        validators=[validate_plain_text],
        error_messages={"required": "Give your name: it is shown with the response."},
    )
    role = forms.CharField(
        label="Your role (optional)",
        required=False,
        max_length=200,
        validators=[validate_plain_text],
        help_text="For example “Head of Sustainability”. Shown with the response.",
    )

    def clean_links(self):
        lines = [line.strip() for line in self.cleaned_data["links"].splitlines()]
        links = list(dict.fromkeys(line for line in lines if line))
        if len(links) > REPLY_LINKS_MAX:
            raise ValidationError(f"Give at most {REPLY_LINKS_MAX} links (you gave {len(links)}).")
        check = URLValidator(schemes=["http", "https"])
        bad = []
        for link in links:
            try:
                if len(link) > REPLY_LINK_MAX_LENGTH:
                    raise ValidationError("too long")
                check(link)
                validate_web_url(link)
            except ValidationError:
                bad.append(link[:80])
        if bad:
            raise ValidationError(
                "These are not complete web addresses starting with http:// or https:// "
                f"(at most {REPLY_LINK_MAX_LENGTH} characters): " + ", ".join(bad)
            )
        return links

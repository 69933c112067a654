"""Forms for the two workflow pages: record a verdict, move a deadline.

They collect and check the input; ``commitments.domain.workflow`` makes the change. A
new source typed into the form is built here and saved by the view inside the
same transaction as the workflow call, so a refused verdict leaves no orphan source.
"""

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import ValidationError

from commitments.domain import calendar
from commitments.domain.validators import validate_plain_text, validate_web_url
from commitments.models import FINAL_STATUSES, Pledge, PledgeEvent, ReplyRequest, Source

# One date format in and out (YYYY-MM-DD), with the admin's calendar picker: a browser's own
# date input shows the reader's locale (mm/dd/yyyy here) while the help text says YYYY-MM-DD.
ISO_DATE = AdminDateWidget(format="%Y-%m-%d", attrs={"placeholder": "YYYY-MM-DD"})
RATIONALE_MAX = PledgeEvent._meta.get_field("rationale").max_length
NEW_SOURCE_FIELDS = (
    "new_source_url",
    "new_source_title",
    "new_source_publisher",
    "new_source_published_on",
)
SOURCES_REQUIRED = "A final verdict (kept, partially kept, broken) needs at least one source."


class _WorkflowForm(forms.Form):
    # The pledge's version when the page was opened: the workflow refuses a stale one.
    version = forms.IntegerField(widget=forms.HiddenInput)
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=RATIONALE_MAX,
        validators=[validate_plain_text],
        help_text="Readers see this on the pledge's public page.",
    )
    effective_on = forms.DateField(
        label="Effective date",
        help_text="The day it happened or took effect (YYYY-MM-DD). Defaults to today.",
        widget=ISO_DATE,
    )
    new_source_url = forms.URLField(
        label="New source URL",
        required=False,
        max_length=Source._meta.get_field("url").max_length,
        validators=[validate_web_url],
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "vURLField"}),
    )
    new_source_title = forms.CharField(
        label="New source title",
        required=False,
        max_length=Source._meta.get_field("title").max_length,
        validators=[validate_plain_text],
        widget=forms.TextInput(attrs={"class": "vTextField"}),
    )
    new_source_publisher = forms.CharField(
        label="New source publisher",
        required=False,
        max_length=Source._meta.get_field("publisher").max_length,
        validators=[validate_plain_text],
        widget=forms.TextInput(attrs={"class": "vTextField"}),
    )
    new_source_published_on = forms.DateField(
        label="New source date",
        required=False,
        widget=ISO_DATE,
    )

    def __init__(self, *args, pledge, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", pledge.version)
        kwargs["initial"].setdefault("effective_on", calendar.today())
        super().__init__(*args, **kwargs)
        self.pledge = pledge

    def clean_effective_on(self):
        day = self.cleaned_data["effective_on"]
        if day > calendar.today():
            raise ValidationError("The effective date cannot be in the future.")
        if day < self.pledge.announced_on:
            raise ValidationError("The effective date cannot be before the pledge was announced.")
        return day

    def clean(self):
        cleaned = super().clean()
        url, title = cleaned.get("new_source_url"), cleaned.get("new_source_title")
        extra = cleaned.get("new_source_publisher") or cleaned.get("new_source_published_on")
        if url and not title and "new_source_title" not in self.errors:
            self.add_error("new_source_title", "Give the new source a title.")
        if (title or extra) and not url and "new_source_url" not in self.errors:
            self.add_error("new_source_url", "Give the new source's web address.")
        if url and self.pledge.sources.filter(url=url).exists():
            self.add_error(
                "new_source_url", "This pledge already cites that address: tick it above instead."
            )
        return cleaned

    def new_source(self):
        """The unsaved Source typed into the form, or None."""
        if not self.cleaned_data.get("new_source_url"):
            return None
        source = Source(
            pledge=self.pledge,
            url=self.cleaned_data["new_source_url"],
            title=self.cleaned_data["new_source_title"],
            publisher=self.cleaned_data["new_source_publisher"],
            published_on=self.cleaned_data["new_source_published_on"],
        )
        source.full_clean()
        return source

    def add_workflow_errors(self, error, field_map):
        """Show the workflow's ValidationError messages next to the matching fields."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for key, messages in error.message_dict.items():
            field = field_map.get(key, key)
            self.add_error(field if field in self.fields else None, messages)


class RecordVerdictForm(_WorkflowForm):
    status = forms.ChoiceField(label="New status", choices=Pledge.Status.choices)
    existing_sources = forms.ModelMultipleChoiceField(
        label="Evidence already on file",
        queryset=Source.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Kept, partially kept and broken need at least one source, here or new below.",
    )

    record_anyway = forms.BooleanField(
        label="Record anyway",
        required=False,
        help_text="The company was asked for comment and its reply-by date has not passed.",
    )
    reply_anyway_reason = forms.CharField(
        label="Why it cannot wait",
        required=False,
        max_length=2000,
        validators=[validate_plain_text],
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the request for comment (staff only).",
    )

    field_order = ["version", "status", "rationale", "existing_sources"]

    def __init__(self, *args, pledge, **kwargs):
        super().__init__(*args, pledge=pledge, **kwargs)
        # Only this pledge's sources can be ticked; any other id is an invalid choice.
        self.fields["existing_sources"].queryset = pledge.sources.all()
        self.fields["status"].initial = pledge.status
        self.open_requests = list(ReplyRequest.objects.open().filter(pledge=pledge))
        if not self.open_requests:
            # Nothing to confirm: the two fields are not shown at all.
            del self.fields["record_anyway"], self.fields["reply_anyway_reason"]

    def clean(self):
        cleaned = super().clean()
        # The workflow enforces this too; checking here shows it with the other errors at once.
        # A half-typed new source already has its own error; do not pile another on.
        typed_new_source = any(self.data.get(name) for name in NEW_SOURCE_FIELDS)
        has_source = cleaned.get("existing_sources") or typed_new_source
        if cleaned.get("status") in FINAL_STATUSES and not has_source:
            self.add_error("existing_sources", SOURCES_REQUIRED)
        if self.open_requests and cleaned.get("status") in FINAL_STATUSES:
            if not cleaned.get("record_anyway"):
                self.add_error(
                    "record_anyway",
                    "The company has until "
                    f"{calendar.human_date(max(r.reply_by for r in self.open_requests))} to reply. "
                    "Tick “record anyway” and give a reason to rule before then.",
                )
            elif not (cleaned.get("reply_anyway_reason") or "").strip():
                self.add_error(
                    "reply_anyway_reason", "Say why the verdict cannot wait for the reply."
                )
        return cleaned

    def chosen_sources(self):
        return list(self.cleaned_data["existing_sources"])

    def reason_to_record_anyway(self):
        if self.cleaned_data.get("record_anyway"):
            return self.cleaned_data.get("reply_anyway_reason") or None
        return None


class MoveDeadlineForm(_WorkflowForm):
    new_deadline = forms.DateField(
        label="New deadline",
        required=False,
        widget=ISO_DATE,
        help_text="Leave empty and tick “no end date” if the company dropped its deadline.",
    )
    indefinite = forms.BooleanField(label="No end date", required=False)
    existing_source = forms.ModelChoiceField(
        label="Evidence already on file",
        queryset=Source.objects.none(),
        required=False,
        help_text="Where the new date was announced: pick a source here or add one below.",
    )

    field_order = ["version", "new_deadline", "indefinite", "rationale", "existing_source"]

    def __init__(self, *args, pledge, **kwargs):
        super().__init__(*args, pledge=pledge, **kwargs)
        self.fields["existing_source"].queryset = pledge.sources.all()

    def clean(self):
        cleaned = super().clean()
        new_deadline, indefinite = cleaned.get("new_deadline"), cleaned.get("indefinite")
        if new_deadline and indefinite:
            self.add_error("indefinite", "Either give a new date or tick “no end date”, not both.")
        elif not new_deadline and not indefinite and "new_deadline" not in self.errors:
            self.add_error("new_deadline", "Give the new deadline, or tick “no end date”.")
        if (
            not cleaned.get("existing_source")
            and not cleaned.get("new_source_url")
            and not self.has_error("new_source_url")
        ):
            self.add_error(
                "existing_source", "Cite where the new deadline comes from: pick or add a source."
            )
        elif cleaned.get("existing_source") and cleaned.get("new_source_url"):
            self.add_error("existing_source", "Pick one source, or add a new one, not both.")
        return cleaned

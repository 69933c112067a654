"""The right of reply in the staff admin.

- Contacts are kept on the company's page (``CompanyContactInline``); never public.
- "Ask for a response" on a pledge (``ask_view``) sends a request to the chosen contacts.
- Each request has its page (``ReplyRequestAdmin``): its state, the question, and the
  reply with the doors to publish it, withhold it (with a reason), correct its formatting,
  or cancel an unanswered request. Every change goes through ``commitments.domain.replies``.
"""

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from commitments.admin.forms import ISO_DATE
from commitments.domain import calendar, replies
from commitments.domain.markdown import render as render_markdown
from commitments.domain.validators import validate_plain_text
from commitments.models import CompanyContact, ReplyRequest
from commitments.models.replies import REPLY_BODY_MAX
from commitments.templatetags.tracker_admin import tracker_time


def state_badge(reply_request):
    state = reply_request.state
    css = {
        ReplyRequest.State.EXPIRED: "overdue",
        ReplyRequest.State.ANSWERED: "closed",
        ReplyRequest.State.CANCELLED: "none",
    }.get(state, "soon")
    return format_html('<span class="tracker-badge {}">{}</span>', css, state.label)


def reply_status(reply_request):
    reply = getattr(reply_request, "reply", None)
    if reply is None:
        return "—"
    if reply.withheld_at:
        return "withheld"
    if reply.published_at:
        return "published" + (" (formatting edited)" if reply.edited else "")
    return "awaiting publish or withhold"


def requests_summary(pledge):
    """The pledge's requests for comment, as a small table for its change page (read-only,
    so the change form posts no extra formset)."""
    rows = pledge.reply_requests.select_related("reply").prefetch_related("contacts")
    if not rows:
        return "None yet."
    body = format_html_join(
        "",
        '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        (
            (
                reverse("admin:commitments_replyrequest_change", args=[r.pk]),
                r.sent_on.isoformat(),
                ", ".join(contact.name for contact in r.contacts.all()),
                r.reply_by.isoformat(),
                state_badge(r),
                reply_status(r),
            )
            for r in rows
        ),
    )
    return format_html(
        '<table class="tracker-requests"><thead><tr><th>sent</th><th>contacts</th>'
        "<th>reply by</th><th>state</th><th>reply</th></tr></thead><tbody>{}</tbody></table>",
        body,
    )


# --- Ask for a response -------------------------------------------------------------------


class AskForm(forms.Form):
    contacts = forms.ModelMultipleChoiceField(
        queryset=CompanyContact.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one contact to ask."},
        help_text="Each gets the email with the same link; any of them may reply.",
    )
    question = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 14, "class": "vLargeTextField"}),
        max_length=10_000,
        validators=[validate_plain_text],
        help_text="Pre-filled from the pledge: edit freely. The company sees it on its reply page.",
    )
    reply_by = forms.DateField(
        label="Reply by", widget=ISO_DATE, help_text="The last day to reply (YYYY-MM-DD)."
    )

    def __init__(self, *args, pledge, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("question", replies.default_question(pledge))
        kwargs["initial"].setdefault(
            "reply_by", calendar.today() + dt.timedelta(days=settings.TRACKER_REPLY_DAYS)
        )
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = replies.contacts_for(pledge)

    def clean_reply_by(self):
        day = self.cleaned_data["reply_by"]
        if day < calendar.today():
            raise ValidationError("The reply-by date cannot be in the past.")
        return day


def ask_view(model_admin, request, object_id):
    if not request.user.has_perm("commitments.add_replyrequest"):
        raise PermissionDenied("Asking a company for a response needs the Editor or Reviewer role.")
    pledge = model_admin.get_object(request, unquote(object_id))
    if pledge is None:
        raise Http404("No pledge with that id.")
    form = AskForm(request.POST or None, pledge=pledge)
    if request.method == "POST" and form.is_valid():
        try:
            replies.ask_for_response(
                pledge,
                contacts=form.cleaned_data["contacts"],
                question=form.cleaned_data["question"],
                reply_by=form.cleaned_data["reply_by"],
                actor=request.user,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            count = len(form.cleaned_data["contacts"])
            messages.success(
                request,
                f"Asked {pledge.company.name} for a response ({count} contact"
                f"{'s' if count != 1 else ''}); the email is on its way.",
            )
            return HttpResponseRedirect(
                reverse("admin:commitments_pledge_change", args=[pledge.pk])
            )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Ask for a response",
        "subtitle": str(pledge),
        "opts": model_admin.opts,
        "original": pledge,
        "pledge": pledge,
        "form": form,
        "has_contacts": form.fields["contacts"].queryset.exists(),
        "company_url": reverse("admin:commitments_company_change", args=[pledge.company_id]),
        "media": model_admin.media + form.media,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/commitments/pledge/ask_for_response.html", context)


# --- A request's own page -----------------------------------------------------------------


class WithholdForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        validators=[validate_plain_text],
        help_text="Staff only: why this reply is not published.",
    )


class FormattingForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 16, "class": "vLargeTextField"}),
        max_length=REPLY_BODY_MAX,
        validators=[validate_plain_text],
        help_text="Line breaks, lists and emphasis only: the words must stay as sent. "
        "An edited reply is marked as edited on the public page.",
    )


@admin.register(ReplyRequest)
class ReplyRequestAdmin(admin.ModelAdmin):
    list_display = ["pledge", "sent_at", "reply_by", "state_column", "reply_column"]
    list_select_related = ["pledge__company", "reply"]
    search_fields = ["pledge__title", "pledge__company__name"]
    change_form_template = "admin/commitments/replyrequest/change_form.html"
    # Every field is read-only: a request changes only through its actions.
    REQUEST_FIELDS = [
        "pledge_link",
        "contact_list",
        "question",
        "sent_at",
        "sent_by",
        "reply_by",
        "state_column",
        "opened_at",
        "contacts_reminded_at",
        "lapsed_at",
        "cancelled_at",
        "cancelled_by",
        "verdict_anyway",
    ]
    REPLY_FIELDS = ["reply_from", "reply_body", "reply_links", "reply_column", "reply_audit"]
    readonly_fields = [*REQUEST_FIELDS, *REPLY_FIELDS]
    fieldsets = [("Request", {"fields": REQUEST_FIELDS}), ("Reply", {"fields": REPLY_FIELDS})]

    def has_add_permission(self, request):
        return False  # through "Ask for a response" on a pledge

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("pledge__company", "reply")

    @admin.display(description="pledge")
    def pledge_link(self, obj):
        url = reverse("admin:commitments_pledge_change", args=[obj.pledge_id])
        return format_html('<a href="{}">{}</a>', url, obj.pledge)

    @admin.display(description="contacts")
    def contact_list(self, obj):
        return format_html_join(", ", "{}", ((str(c),) for c in obj.contacts.all()))

    @admin.display(description="state")
    def state_column(self, obj):
        return state_badge(obj)

    @admin.display(description="reply")
    def reply_column(self, obj):
        return reply_status(obj)

    @admin.display(description="final verdict recorded while open")
    def verdict_anyway(self, obj):
        if not obj.verdict_anyway_at:
            return "—"
        return format_html(
            "{} by {}: {}", obj.verdict_anyway_at, obj.verdict_anyway_by, obj.verdict_anyway_reason
        )

    def _reply(self, obj):
        return getattr(obj, "reply", None)

    @admin.display(description="from")
    def reply_from(self, obj):
        reply = self._reply(obj)
        if reply is None:
            return "—"
        role = f", {reply.role}" if reply.role else ""
        return f"{reply.name}{role} (sent {tracker_time(reply.submitted_at)})"

    @admin.display(description="response")
    def reply_body(self, obj):
        reply = self._reply(obj)
        if reply is None:
            return "—"
        if reply.edited:
            return format_html(
                "{}<p><strong>As submitted, before formatting edits:</strong></p><pre>{}</pre>",
                render_markdown(reply.body),
                reply.original_body,
            )
        return render_markdown(reply.body)

    @admin.display(description="evidence links")
    def reply_links(self, obj):
        reply = self._reply(obj)
        if reply is None or not reply.links:
            return "—"
        return format_html_join(
            "",
            '<div><a href="{}" rel="noopener noreferrer">{}</a></div>',
            ((u, u) for u in reply.links),
        )

    @admin.display(description="audit")
    def reply_audit(self, obj):
        reply = self._reply(obj)
        if reply is None:
            return "—"
        parts = []
        if reply.published_at:
            parts.append(format_html("Published {} by {}.", reply.published_at, reply.published_by))
        if reply.withheld_at:
            parts.append(
                format_html(
                    "Withheld {} by {}: {}",
                    reply.withheld_at,
                    reply.withheld_by,
                    reply.withheld_reason,
                )
            )
        return format_html_join(" ", "{}", ((p,) for p in parts)) if parts else "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        reply = self._reply(obj) if obj is not None else None
        extra_context = {
            **(extra_context or {}),
            "can_cancel": obj is not None
            and obj.is_open
            and request.user.has_perm("commitments.change_replyrequest"),
            "reply": reply,
            "can_judge": reply is not None and request.user.has_perm("commitments.change_reply"),
            # Every field is read-only: changes go through the buttons above, not Save.
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        return [
            path(
                "<path:object_id>/cancel/",
                wrap(self.cancel_view),
                name="commitments_replyrequest_cancel",
            ),
            path(
                "<path:object_id>/publish/",
                wrap(self.publish_view),
                name="commitments_replyrequest_publish",
            ),
            path(
                "<path:object_id>/withhold/",
                wrap(self.withhold_view),
                name="commitments_replyrequest_withhold",
            ),
            path(
                "<path:object_id>/formatting/",
                wrap(self.formatting_view),
                name="commitments_replyrequest_formatting",
            ),
            *super().get_urls(),
        ]

    def _object_or_404(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No request with that id.")
        return obj

    def _back(self, obj):
        return HttpResponseRedirect(reverse("admin:commitments_replyrequest_change", args=[obj.pk]))

    def cancel_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._object_or_404(request, object_id)
        if replies.cancel_request(obj, actor=request.user):
            messages.success(request, "Request cancelled: its link no longer works.")
        else:
            messages.error(request, "Only an unanswered request can be cancelled.")
        return self._back(obj)

    def publish_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._object_or_404(request, object_id)
        reply = self._reply(obj)
        if reply is None:
            raise Http404("No reply yet.")
        try:
            replies.publish_reply(reply, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Published: the reply is now in the pledge's public history.")
        return self._back(obj)

    def _reply_form_page(self, request, object_id, *, form_class, initial, title, run, done):
        obj = self._object_or_404(request, object_id)
        reply = self._reply(obj)
        if reply is None:
            raise Http404("No reply yet.")
        if not request.user.has_perm("commitments.change_reply"):
            raise PermissionDenied("Publishing or withholding replies needs the Reviewer role.")
        form = form_class(request.POST or None, initial=initial(reply))
        if request.method == "POST" and form.is_valid():
            try:
                run(reply, form.cleaned_data)
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error.messages)
            else:
                messages.success(request, done)
                return self._back(obj)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "original": obj,
            "reply": reply,
            "form": form,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/commitments/replyrequest/reply_form.html", context)

    def withhold_view(self, request, object_id):
        return self._reply_form_page(
            request,
            object_id,
            form_class=WithholdForm,
            initial=lambda reply: {},
            title="Withhold the reply",
            run=lambda reply, data: replies.withhold_reply(
                reply, reason=data["reason"], actor=request.user
            ),
            done="Withheld: the reply is on no public page; the reason is kept here.",
        )

    def formatting_view(self, request, object_id):
        return self._reply_form_page(
            request,
            object_id,
            form_class=FormattingForm,
            initial=lambda reply: {"body": reply.body},
            title="Correct the reply's formatting",
            run=lambda reply, data: replies.correct_formatting(
                reply, body=data["body"], actor=request.user
            ),
            done="Formatting corrected; the reply is marked as edited.",
        )

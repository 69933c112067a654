"""The "Awaiting verdict" queue: overdue published pledges, the longest-waiting first.

A read-only changelist over ``Pledge.objects.awaiting_verdict()``; each row links
to the pledge and, for reviewers, straight to its record-verdict page.
"""

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import format_html

from commitments.admin import filters
from commitments.admin.display import admin_link
from commitments.admin.mixins import PledgeSearchMixin, ReadOnlyAdminMixin
from commitments.models import PledgeAwaitingVerdict, Reply, ReplyRequest


@admin.register(PledgeAwaitingVerdict)
class AwaitingVerdictAdmin(PledgeSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "pledge_column",
        "company",
        "deadline",
        "days_overdue_column",
        "owner",
        "status",
        "reply_column",
    ]
    list_display_links = None
    list_select_related = ["company", "owner"]
    list_filter = [("owner", filters.OwnerFilter), "category"]
    list_per_page = 25  # a screenful, as in the pledge list
    actions = None

    def get_queryset(self, request):
        # Two EXISTS columns, not a query per row: is a reply awaited, or in and unjudged?
        return PledgeAwaitingVerdict.objects.awaiting_verdict().annotate(
            reply_awaited=Exists(ReplyRequest.objects.open().filter(pledge=OuterRef("pk"))),
            reply_in=Exists(Reply.objects.pending().filter(request__pledge=OuterRef("pk"))),
        )

    @admin.display(description="company's reply")
    def reply_column(self, pledge):
        if pledge.reply_in:
            return format_html(
                '<span class="tracker-badge soon">{}</span>', "reply in: publish or withhold"
            )
        if pledge.reply_awaited:
            return format_html('<span class="tracker-badge later">{}</span>', "reply pending")
        return "—"

    def get_ordering(self, request):
        return ["deadline", "pk"]

    # The queue is a view of pledges: whoever may see pledges may see it, nobody edits here.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("commitments.view_pledge") or request.user.has_perm(
            "commitments.change_pledge"
        )

    @admin.display(description="pledge", ordering="title")
    def pledge_column(self, pledge):
        return admin_link(pledge, pledge.title)

    @admin.display(description="days overdue", ordering="deadline")
    def days_overdue_column(self, pledge):
        days = pledge.days_overdue
        return format_html(
            '<span class="tracker-badge overdue">{} day{}</span>', days, pluralize(days)
        )

    def get_list_display(self, request):
        if request.user.has_perm("commitments.record_verdict"):
            return [*self.list_display, "verdict_column"]
        return self.list_display

    @admin.display(description="")
    def verdict_column(self, pledge):
        url = reverse("admin:commitments_pledge_record_verdict", args=[pledge.pk])
        queue = reverse("admin:commitments_pledgeawaitingverdict_changelist")
        return format_html('<a class="button" href="{}?next={}">Record verdict</a>', url, queue)

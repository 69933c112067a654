class ReadOnlyAdminMixin:
    """For records the system writes (notifications, the queue, delivery counts): staff may
    look, filter and run the admin's actions, but never add, edit or delete rows by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PledgeSearchMixin:
    """The changelist's search box runs the site's search (``Pledge.objects.search``): full-text
    over title, company and summary with misspellings forgiven, on the search indexes, instead
    of the admin's ``icontains`` scan. ``search_fields`` only makes the box appear."""

    search_fields = ["title"]
    # "12 results (100,000 total)" costs a count of the whole table on every page.
    show_full_result_count = False
    search_help_text = "Words in the title, company or summary; misspellings are forgiven."

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        # Imported here: the admin's pledge lists are proxies of Pledge, one table, one search.
        from commitments.models import Pledge

        found = Pledge.objects.search(term).order_by().values("pk")
        return queryset.filter(pk__in=found), False

class ReadOnlyAdminMixin:
    """For records the system writes (notifications, the queue, delivery counts): staff may
    look, filter and run the admin's actions, but never add, edit or delete rows by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

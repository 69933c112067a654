"""SimpleHistoryAdmin, with the ids in history URLs checked before they reach a query.

django-simple-history looks ids up as they come: ``/pledge/abc/history/`` or
``/pledge/1/history/abc/`` raised ValueError (a 500) where Django's own admin views answer
404 for an id that cannot exist. Every admin with history uses this class.
"""

from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin


def _require_valid_pk(model, value):
    try:
        model._meta.pk.to_python(value)
    except ValidationError:
        raise Http404(f"No {model._meta.verbose_name} has the id {value!r}.") from None


class HistoryAdmin(SimpleHistoryAdmin):
    def history_view(self, request, object_id, extra_context=None):
        _require_valid_pk(self.model, unquote(object_id))  # simple_history unquotes it too
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple_history queries with both ids exactly as they appear in the URL.
        history_model = getattr(self.model, self.model._meta.simple_history_manager_attribute)
        _require_valid_pk(self.model, object_id)
        _require_valid_pk(history_model.model, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

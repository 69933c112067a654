"""The admin's own 403 page: what was refused, and which role would allow it."""

from django.contrib import admin
from django.shortcuts import render


def denied(request, needed):
    context = {**admin.site.each_context(request), "title": "Not allowed", "needed": needed}
    return render(request, "admin/accounts/denied.html", context, status=403)

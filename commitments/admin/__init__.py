"""The staff UI. One module per area; importing them registers the ModelAdmins."""

from commitments.admin import companies, notifications, pages, pledges, sources  # noqa: F401

"""The staff UI. One module per area; importing them registers the ModelAdmins."""

from commitments.admin import companies, notifications, pledges, sources  # noqa: F401

# isort: split
from commitments.admin import subscribers  # noqa: F401  (alerts)

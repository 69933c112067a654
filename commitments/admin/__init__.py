"""The staff UI. One module per area; importing them registers the ModelAdmins."""

from commitments.admin import (  # noqa: F401
    companies,
    notifications,
    pages,
    pledges,
    queue,
    sources,
    subscribers,
)

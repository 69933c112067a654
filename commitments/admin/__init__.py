"""The staff UI. One module per area; importing them registers the ModelAdmins.

The subscriber side's admin lives with the rest of alerts (``commitments.alerts.admin``).
"""

from commitments.admin import (  # noqa: F401
    companies,
    notifications,
    pages,
    pledges,
    queue,
    sources,
)
from commitments.alerts import admin as alerts_admin  # noqa: F401

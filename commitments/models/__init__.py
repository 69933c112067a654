from commitments.models.companies import Company
from commitments.models.events import PledgeEvent
from commitments.models.notifications import Notification
from commitments.models.pledges import FINAL_STATUSES, Category, Pledge, Status
from commitments.models.sources import Source
from commitments.models.subscribers import (
    PledgeFollowers,
    Subscriber,
    Subscription,
    Suppression,
)

__all__ = [
    "FINAL_STATUSES",
    "Category",
    "Company",
    "Notification",
    "Pledge",
    "PledgeEvent",
    "PledgeFollowers",
    "Source",
    "Status",
    "Subscriber",
    "Subscription",
    "Suppression",
]

from commitments.models.companies import Company
from commitments.models.content import ContentVersion
from commitments.models.events import PledgeEvent
from commitments.models.health import Heartbeat
from commitments.models.money import Disbursement
from commitments.models.notifications import Notification
from commitments.models.pages import Page
from commitments.models.pledges import FINAL_STATUSES, Category, Pledge, Status
from commitments.models.queue import PledgeAwaitingVerdict
from commitments.models.replies import CompanyContact, Reply, ReplyRequest
from commitments.models.sources import HostBudget, Source
from commitments.models.staff import ReminderPreference
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
    "CompanyContact",
    "ContentVersion",
    "Disbursement",
    "Heartbeat",
    "HostBudget",
    "Notification",
    "Page",
    "Pledge",
    "PledgeAwaitingVerdict",
    "PledgeEvent",
    "PledgeFollowers",
    "ReminderPreference",
    "Reply",
    "ReplyRequest",
    "Source",
    "Status",
    "Subscriber",
    "Subscription",
    "Suppression",
]

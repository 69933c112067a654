import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from commitments.alerts.tasks import fan_out_event
from commitments.models import PledgeEvent

logger = logging.getLogger(__name__)


@receiver(post_save, sender=PledgeEvent, dispatch_uid="alerts_fan_out_on_commit")
def fan_out_after_commit(sender, instance, created, raw=False, **kwargs):
    if not created or raw:
        return
    event_id = instance.pk

    def queue_fan_out():
        # A broker outage must not fail the staff member's verdict (nor, with Django's
        # robust hooks and a partial, crash while logging it): the periodic
        # fan_out_alerts task picks the event up once the broker is back.
        try:
            fan_out_event.delay(event_id)
        except Exception:
            logger.warning(
                "Could not queue alerts for event %s; the periodic fan-out will", event_id
            )

    transaction.on_commit(queue_fan_out)

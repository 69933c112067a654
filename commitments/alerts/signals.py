from functools import partial

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from commitments.alerts.tasks import fan_out_event
from commitments.models import PledgeEvent


@receiver(post_save, sender=PledgeEvent, dispatch_uid="alerts_fan_out_on_commit")
def fan_out_after_commit(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        # robust: a broker outage must not fail the staff member's verdict; the
        # periodic fan_out_alerts task picks the event up instead.
        transaction.on_commit(partial(fan_out_event.delay, instance.pk), robust=True)

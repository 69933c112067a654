from celery import shared_task

from commitments.alerts import fanout, subscriptions


@shared_task(name="commitments.fan_out_event")
def fan_out_event(event_id):
    return fanout.fan_out_event(event_id)


@shared_task(name="commitments.fan_out_alerts")
def fan_out_alerts():
    """Periodic recovery and the 7-day warnings; also forgets expired sign-up requests."""
    queued = fanout.fan_out_pending() + fanout.fan_out_upcoming()
    subscriptions.purge_unconfirmed()
    return queued

from celery import shared_task

from commitments import delivery


@shared_task(name="commitments.tasks.send_notifications")
def send_notifications(notification_ids):
    return delivery.send_batch(notification_ids)

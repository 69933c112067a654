"""Cross-origin reading of the open data: the JSON API and the data files, nothing else.

``Access-Control-Allow-Origin: *`` lets any website's scripts read these responses. They
are public, read-only and carry no cookies' worth of personal data, so that is safe; the
HTML pages and the alert forms (which hold CSRF tokens) stay same-origin. Only simple
GETs are served (no pre-flight): the API takes no custom request headers.
"""

import functools


def open_to_all_origins(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        # Let scripts read the validators, to send them back for a 304.
        response["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
        return response

    return wrapper

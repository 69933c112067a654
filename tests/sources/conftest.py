import pytest

from tests.webserver import WebServer


@pytest.fixture
def web(settings):
    """A local HTTP server the fetcher may reach (as "localhost" only).

    The timeout is generous: a CI machine busy with other tests can keep this server's
    thread waiting for half a second (an archive test once failed so). The test of a
    server that hangs sets its own short one."""
    settings.TRACKER_FETCH_ALLOWED_HOSTS = ["localhost"]
    settings.TRACKER_FETCH_TIMEOUT_SECONDS = 5
    settings.TRACKER_FETCH_MAX_BYTES = 1024 * 1024
    server = WebServer()
    yield server
    server.stop()

import pytest

from tests.webserver import WebServer


@pytest.fixture
def web(settings):
    """A local HTTP server the fetcher may reach (as "localhost" only), with short timeouts."""
    settings.TRACKER_FETCH_ALLOWED_HOSTS = ["localhost"]
    settings.TRACKER_FETCH_TIMEOUT_SECONDS = 0.5
    settings.TRACKER_FETCH_MAX_BYTES = 1024 * 1024
    server = WebServer()
    yield server
    server.stop()

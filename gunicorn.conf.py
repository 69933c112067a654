"""gunicorn settings for `make bench`'s comparison server (compose serves with granian: scripts/serve-web)."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Two cores: a few sync workers keep both busy while one waits on the database.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# Keep connections open between requests from the proxy instead of reconnecting each time.
keepalive = 5
timeout = 30
graceful_timeout = 20
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

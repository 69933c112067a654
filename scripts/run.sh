#!/usr/bin/env bash
# Start the web server and a Celery worker with embedded beat, in the foreground.
# Ctrl-C (SIGINT) or SIGTERM stops both, and everything they started.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${PORT:-8000}
export SITE_URL=${SITE_URL:-http://127.0.0.1:$PORT}

set -m  # each background job gets its own process group, so we can stop it whole
"$BIN/python" manage.py runserver "127.0.0.1:$PORT" &
web=$!
"$BIN/celery" -A tracker worker --beat --loglevel INFO --concurrency 2 \
  --schedule var/celerybeat-schedule &
worker=$!

stop() {
  trap - INT TERM EXIT
  echo "Stopping web server and worker..."
  kill -TERM -- "-$web" "-$worker" 2>/dev/null || true
  wait "$web" "$worker" 2>/dev/null || true
}
trap stop INT TERM EXIT

sleep 2
echo
echo "Commitment Tracker is running at http://127.0.0.1:$PORT/  (Ctrl-C to stop)"
"$BIN/python" manage.py ensure_local_admin
echo

# Whichever exits first (crash or signal), stop the other.
wait -n "$web" "$worker"

#!/usr/bin/env bash
# Start the web server and a Celery worker with embedded beat, in the foreground.
# Ctrl-C or SIGTERM (to this script or to the `make run` above it) stops both and all they started.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${PORT:-8000}
export SITE_URL=${SITE_URL:-http://127.0.0.1:$PORT}
# Someone must receive the demo's deadline reminders: the local admin, unless told otherwise.
export TRACKER_STAFF_EMAILS=${TRACKER_STAFF_EMAILS:-admin@localhost}
parent=$PPID

set -m  # each background job gets its own process group, so nothing it starts is left behind
"$BIN/python" manage.py runserver "127.0.0.1:$PORT" &
web=$!
"$BIN/celery" -A tracker worker --beat --loglevel INFO --concurrency 2 \
  --hostname "dev@%h" --schedule var/celerybeat-schedule &
worker=$!

alive() { kill -0 "$1" 2>/dev/null; }
stop() {
  trap - INT TERM EXIT
  echo "Stopping web server and worker..."
  # The worker's main process shuts down its pool and beat itself; signalling them all at once
  # can leave it waiting forever, so only it gets TERM, and the group gets KILL if it hangs.
  kill -TERM "$worker" 2>/dev/null || true
  kill -TERM -- "-$web" 2>/dev/null || true
  for _ in $(seq 20); do
    alive "$worker" || alive "$web" || break
    sleep 0.5
  done
  kill -KILL -- "-$web" "-$worker" 2>/dev/null || true
  echo "Stopped."
}
trap stop INT TERM EXIT

sleep 3
echo
echo "Commitment Tracker is running at $SITE_URL/  (Ctrl-C to stop)"
"$BIN/python" manage.py ensure_local_admin
echo

# Until either process exits or whoever started us (make) goes away.
while alive "$web" && alive "$worker" && alive "$parent"; do
  sleep 1
done

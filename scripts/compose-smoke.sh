#!/usr/bin/env bash
# Run the compose services' own commands (scripts/serve-*) against local PostgreSQL and Redis,
# check the site answers and the worker responds, then stop everything we started.
# Needs DATABASE_URL and CELERY_BROKER_URL; everything else gets a production-like value.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
: "${DATABASE_URL:?set DATABASE_URL}" "${CELERY_BROKER_URL:?set CELERY_BROKER_URL}"
export DJANGO_ENV=production
export SECRET_KEY=${SECRET_KEY:-$(python -c 'import secrets; print(secrets.token_urlsafe(50))')}
export ALLOWED_HOSTS=localhost,127.0.0.1
export SITE_URL=https://localhost
export EMAIL_URL=${EMAIL_URL:-smtp://127.0.0.1:1025}
export PORT=${SMOKE_PORT:-8765}
export STATIC_ROOT=${STATIC_ROOT:-$PWD/var/smoke-static}
export BEAT_SCHEDULE_FILE=$PWD/var/smoke-beat-schedule
mkdir -p var
python manage.py collectstatic --noinput -v0

pids=()
cleanup() { for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
set -m
scripts/serve-web >var/smoke-web.log 2>&1 & pids+=($!)
scripts/serve-worker >var/smoke-worker.log 2>&1 & pids+=($!)
scripts/serve-beat >var/smoke-beat.log 2>&1 & pids+=($!)

fail() { echo "compose smoke: $1"; tail -n 30 var/smoke-*.log; exit 1; }
for _ in $(seq 60); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-Proto: https' "http://127.0.0.1:$PORT/" || true)
  [ "$code" = 200 ] && break
  sleep 1
done
[ "$code" = 200 ] || fail "home page answered $code"
echo "compose smoke: web answers 200 on /"
for _ in $(seq 20); do
  # Capture first: with pipefail, grep -q closing the pipe early would fail the pipeline.
  answer=$(celery --app tracker inspect ping --timeout 5 2>&1 || true)
  case "$answer" in *pong*) pinged=1 && break ;; esac
  sleep 1
done
[ -n "${pinged:-}" ] || fail "worker did not answer ping"
echo "compose smoke: worker answers celery inspect ping"
kill -0 "${pids[2]}" || fail "beat exited"
echo "compose smoke: beat is running"

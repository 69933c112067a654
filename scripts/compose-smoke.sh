#!/usr/bin/env bash
# Run the compose services' own commands (scripts/serve-web, serve-worker twice, serve-beat)
# against local PostgreSQL and Redis, in a throwaway database, with email going to a local
# SMTP sink, and check what an operator would check after `docker compose up`:
#   the home page, the admin login page and /health answer 200; both workers answer ping;
#   a due reminder (for a pledge logged past its deadline) is delivered exactly once, through an SMTP server that greylists
#   (451 to the first attempt for each address, as many real ones do).
# With FAULTS=1 it then stops Redis and crashes PostgreSQL under the running stack and checks
# the site keeps serving, /health reports the outage, nothing due meanwhile is lost, and a
# fan-out the crash cut in two repeats no more than the duplicate window delivery.py states.
# Needs DATABASE_URL (a PostgreSQL server) and CELERY_BROKER_URL (Redis). SMOKE_PG=private
# runs a PostgreSQL cluster of its own (initdb, a free port) instead, so the crash drill does
# not touch the machine's server (other test runs may be using it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
: "${DATABASE_URL:?set DATABASE_URL}" "${CELERY_BROKER_URL:?set CELERY_BROKER_URL}"

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/tracker-smoke.XXXXXX")
smoke_db="tracker_smoke_$$"
private_pg=""
pg_port=5432
as_postgres=()
[ "$(id -u)" = 0 ] && as_postgres=(runuser -u postgres --)  # initdb and postgres refuse root
if [ "${SMOKE_PG:-}" = private ]; then
  pg_bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
  private_pg=$(mktemp -d "${TMPDIR:-/tmp}/tracker-smoke-pg.XXXXXX")
  [ "$(id -u)" = 0 ] && chown postgres "$private_pg"
  pg_port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${as_postgres[@]}" "$pg_bin/initdb" -D "$private_pg/data" -U postgres -A trust --no-sync >/dev/null
  export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
fi
pg() {  # start | stop MODE: the PostgreSQL server the stack uses
  if [ -n "$private_pg" ]; then
    case $1 in
      start) "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$private_pg/data" -l "$private_pg/log" -w \
               -o "-p $pg_port -k $private_pg -c listen_addresses=127.0.0.1" start >/dev/null ;;
      stop) "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$private_pg/data" -m "$2" -w stop >/dev/null ;;
    esac
  else
    case $1 in
      start) pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start ;;
      stop) pg_ctlcluster --skip-systemctl-redirect --mode "$2" "$(ls /etc/postgresql)" main stop ;;
    esac
  fi
}
[ -n "$private_pg" ] && pg start
server_url=${DATABASE_URL%/*}
export DATABASE_URL="$server_url/$smoke_db"
export DJANGO_ENV=production
export SECRET_KEY=${SECRET_KEY:-$(python -c 'import secrets; print(secrets.token_urlsafe(50))')}
export ALLOWED_HOSTS=localhost,127.0.0.1
export SITE_URL=https://localhost
export CACHE_URL=${CACHE_URL:-${CELERY_BROKER_URL%/*}/2}
export PORT=${SMOKE_PORT:-8765}
smtp_port=${SMOKE_SMTP_PORT:-8766}
export EMAIL_URL="smtp://127.0.0.1:$smtp_port"
export TRACKER_STAFF_EMAILS=ops@example.org
export TRACKER_SWEEP_INTERVAL_SECONDS=5
# The SMTP server greylists: retry within seconds, not the production default's minutes.
export TRACKER_EMAIL_RETRY_SECONDS=2
export STATIC_ROOT=$run_dir/static
export BEAT_SCHEDULE_FILE=$run_dir/beat-schedule
export LOG_FORMAT=plain
maildir=$run_dir/mail

pids=()
redis_port=${CELERY_BROKER_URL##*:}; redis_port=${redis_port%%/*}
cleanup() {
  # Whatever happened, leave the machine's Redis running as we found it.
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 \
    || redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no >/dev/null
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  psql "$server_url/postgres" -qc "drop database if exists $smoke_db with (force)" >/dev/null 2>&1 || true
  if [ -n "$private_pg" ]; then pg stop immediate 2>/dev/null || true; rm -rf "$private_pg"; fi
  rm -rf "$run_dir"
}
trap cleanup EXIT
fail() {
  echo "compose smoke: FAILED: $1"
  for log in "$run_dir"/*.log; do echo "--- $log"; tail -n 25 "$log"; done
  exit 1
}
ok() { echo "compose smoke: $1"; }
start() {  # name, command...: each in its own process group so it can be stopped whole
  local name=$1; shift
  set -m; "$@" >"$run_dir/$name.log" 2>&1 & pids+=($!); set +m
}
http() {  # path -> status code, as the proxy in front of web would ask
  curl -s -o "$run_dir/last-body" -w '%{http_code}' --max-time 10 \
    -H 'X-Forwarded-Proto: https' "http://127.0.0.1:$PORT$1" || true
}
wait_for() {  # seconds, description, command...
  local seconds=$1 what=$2; shift 2
  for _ in $(seq "$seconds"); do "$@" && return 0; sleep 1; done
  fail "$what"
}
mails() {  # how many delivered messages have this text in their (decoded) subject
  python - "$maildir" "$1" <<'PY'
import mailbox, os, sys
from email.header import decode_header, make_header
folder, wanted = sys.argv[1], sys.argv[2]
box = mailbox.Maildir(folder, create=False) if os.path.isdir(f"{folder}/new") else []
print(sum(wanted in str(make_header(decode_header(m["Subject"] or ""))) for m in box))
PY
}
mails_are() { [ "$(mails "$1")" = "$2" ]; }
drill() { python -m tests.reminders.fanout_drill "$@"; }
drill_mails() {  # "<messages> <recipients>" of the fan-out drill's alert
  python - "$maildir" <<'PY'
import mailbox, os, sys
from email.header import decode_header, make_header
folder = sys.argv[1]
box = mailbox.Maildir(folder, create=False) if os.path.isdir(f"{folder}/new") else []
to = [m["To"] for m in box if "Fault drill fan-out" in str(make_header(decode_header(m["Subject"] or "")))]
print(len(to), len(set(to)))
PY
}
status_is() { [ "$(http "$1")" = "$2" ]; }

psql "$server_url/postgres" -qc "create database $smoke_db" >/dev/null
python manage.py collectstatic --noinput -v0
python manage.py migrate --noinput -v0
python manage.py load_demo >/dev/null
add_due_pledge() {  # title: a published pledge whose deadline passed yesterday
  python manage.py shell --no-imports -c "
import datetime as dt
from commitments.models import Company, Pledge
Pledge.objects.create(company=Company.objects.get(slug='ibm'), title='$1', slug='$(echo "$1" | tr 'A-Z ' 'a-z-')',
  success_criteria='Done.', announced_on=dt.date(2020, 1, 1), deadline=dt.date.today() - dt.timedelta(days=2),
  is_published=True)"
}
# The demo's real pledges have nothing left to fall due: log one that has, as the README shows.
add_due_pledge "Practice pledge with a past deadline"
followers=${SMOKE_FOLLOWERS:-3000}
[ "${FAULTS:-0}" = 1 ] && drill setup "$followers"

start smtp python -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c tests.reminders.smtp.GreylistingMailbox "$maildir"
start web scripts/serve-web
WORKER_NAME=worker1 start worker1 scripts/serve-worker
WORKER_NAME=worker2 start worker2 scripts/serve-worker
start beat scripts/serve-beat

wait_for 60 "home page did not answer 200" status_is / 200
ok "web answers 200 on /"
status_is "/${ADMIN_URL:-admin/}login/" 200 || fail "admin login page did not answer 200"
ok "admin login page answers 200"
pong() { celery --app tracker inspect ping --timeout 5 2>/dev/null | grep -c pong || true; }
two_pongs() { [ "$(pong)" = 2 ]; }
wait_for 40 "both workers did not answer ping" two_pongs
ok "two workers answer celery inspect ping"
wait_for 60 "/health did not answer 200" status_is /health 200
ok "/health answers 200: $(cat "$run_dir/last-body")"
wait_for 60 "the due reminder was not delivered" mails_are "Deadline passed: IBM — Practice pledge" 1
sleep 12  # two more sweeps, shared by two workers: still exactly one email
mails_are "Deadline passed: IBM — Practice pledge" 1 || fail "the reminder was delivered $(mails 'Deadline passed: IBM — Practice pledge') times"
ok "the due reminder reached the SMTP sink exactly once, across later sweeps and two workers"
greylisted=$(grep -c '^greylisted ' "$run_dir/smtp.log" || true)
[ "$greylisted" -ge 1 ] || fail "the SMTP server greylisted nothing: the drill did not happen"
ok "greylisting: $greylisted first attempt(s) answered 451 were retried, each message arrived once"

if [ "${FAULTS:-0}" = 1 ]; then

  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  wait_for 10 "Redis did not stop" sh -c "! redis-cli -p $redis_port ping >/dev/null 2>&1"
  status_is / 200 || fail "with Redis down the home page answered $(http /)"
  ok "Redis stopped: the site still serves pages"
  wait_for 20 "/health did not report the broker down" status_is /health 503
  grep -q '"broker"' "$run_dir/last-body" && ok "Redis stopped: /health answers 503: $(cat "$run_dir/last-body")"
  add_due_pledge "Fault drill while Redis is down"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no >/dev/null
  wait_for 20 "Redis did not come back" sh -c "redis-cli -p $redis_port ping >/dev/null 2>&1"
  wait_for 90 "the reminder that fell due during the outage was not delivered" \
    mails_are "Fault drill while Redis is down" 1
  ok "Redis back: the reminder that fell due meanwhile was delivered once"

  # A verdict to every follower, and PostgreSQL crashes (no checkpoint) part-way through it.
  drill fan-out >/dev/null
  fan_out_under_way() { set -- $(drill_mails); [ "$2" -ge $((followers / 10)) ]; }
  wait_for 60 "the fan-out did not start" fan_out_under_way
  pg stop immediate
  sleep 3  # the workers keep taking send tasks meanwhile
  pg start
  wait_for 30 "PostgreSQL did not come back" pg_isready -q -h 127.0.0.1 -p "$pg_port"
  wait_for 30 "web did not recover after the PostgreSQL crash" status_is / 200
  ok "PostgreSQL crashed and restarted: web serves again without a restart of its own"
  every_follower_reached() { set -- $(drill_mails); [ "$2" = "$followers" ]; }
  wait_for 120 "not every follower got the alert after the crash" every_follower_reached
  sleep 5  # a repeat still on its way counts too
  read -r messages recipients < <(drill_mails)
  duplicates=$((messages - recipients))
  # delivery.py's window: MARK_SENT_EVERY per worker process; two workers of WORKER_CONCURRENCY.
  per_process=$(python manage.py shell --no-imports -c "from commitments.mail import delivery; print(delivery.MARK_SENT_EVERY)")
  bound=$((per_process * ${WORKER_CONCURRENCY:-2} * 2))
  [ "$duplicates" -le "$bound" ] || fail "the crash repeated $duplicates alerts; the stated bound is $bound"
  ok "PostgreSQL crashed mid fan-out (greylisted too): $recipients of $followers followers reached, 0 lost, $duplicates duplicate(s) (bound $bound)"
  add_due_pledge "Fault drill after a database restart"
  wait_for 90 "workers did not deliver after the PostgreSQL restart" \
    mails_are "Fault drill after a database restart" 1
  ok "PostgreSQL back: workers deliver again without a restart of their own"
fi

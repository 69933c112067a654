#!/usr/bin/env bash
# `manage.py check --deploy` with a production-like environment: every warning is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
DJANGO_ENV=production \
SECRET_KEY="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
DATABASE_URL=${DATABASE_URL:-postgres://tracker@127.0.0.1:5432/tracker} \
ALLOWED_HOSTS=tracker.example.org \
CSRF_TRUSTED_ORIGINS=https://tracker.example.org \
CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0} \
EMAIL_URL=smtp://mail.example.org:587 \
SITE_URL=https://tracker.example.org \
  .venv/bin/python manage.py check --deploy --fail-level WARNING

FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Collect hashed, compressed static files at build time; whitenoise serves them with far-future caching.
RUN DJANGO_ENV=production SECRET_KEY=build-only DATABASE_URL=sqlite:///:memory: ALLOWED_HOSTS=build \
    CELERY_BROKER_URL=memory:// EMAIL_URL=consolemail:// SITE_URL=https://build \
    python manage.py collectstatic --noinput -v0 \
    && rm -rf var \
    && useradd --system --uid 10001 --home /app tracker \
    && mkdir -p /app/var/exports && chown -R tracker /app/var

USER tracker
EXPOSE 8000
CMD ["scripts/serve-web"]

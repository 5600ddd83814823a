#!/bin/sh
# Berth container entrypoint. The first argument picks the role:
#
#   web              apply migrations (unless MIGRATE_ON_START=0), then serve with gunicorn
#   worker           a Celery worker
#   beat             the Celery timer; run exactly one per installation
#   migrate          apply migrations and exit
#   manage ARGS...   any manage.py command, e.g. `manage createsuperuser`
#   anything else    run as a command, e.g. `sh`
#
# Extra arguments after web, worker or beat are passed on to gunicorn or celery.
set -eu

APP_DIR="${APP_DIR:-$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)}"
cd "$APP_DIR"

role="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$role" in
  web)
    if [ "${MIGRATE_ON_START:-1}" = "1" ]; then
      python manage.py migrate --noinput
    fi
    # gthread workers: WEB_CONCURRENCY processes x GUNICORN_THREADS threads.
    # The access log leaves out query strings (they may carry a party code).
    exec gunicorn config.wsgi:application \
      --bind "${GUNICORN_BIND:-0.0.0.0:${PORT:-8000}}" \
      --workers "${WEB_CONCURRENCY:-3}" \
      --threads "${GUNICORN_THREADS:-4}" \
      --timeout "${GUNICORN_TIMEOUT:-60}" \
      --graceful-timeout 30 \
      --keep-alive 5 \
      --max-requests 1000 \
      --max-requests-jitter 100 \
      --worker-tmp-dir /dev/shm \
      --access-logfile - \
      --access-logformat '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms' \
      --error-logfile - \
      --log-level "${LOG_LEVEL:-INFO}" \
      "$@"
    ;;
  worker)
    exec celery -A config worker \
      --loglevel "${LOG_LEVEL:-INFO}" \
      --concurrency "${CELERY_WORKER_CONCURRENCY:-2}" \
      "$@"
    ;;
  beat)
    exec celery -A config beat \
      --loglevel "${LOG_LEVEL:-INFO}" \
      --schedule "${CELERY_BEAT_SCHEDULE_FILE:-/var/lib/berth/celerybeat-schedule}" \
      "$@"
    ;;
  migrate)
    exec python manage.py migrate --noinput "$@"
    ;;
  manage)
    exec python manage.py "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac

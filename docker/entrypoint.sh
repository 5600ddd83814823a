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
    # gunicorn's processes share their request metrics (GET /metrics) through files in
    # this directory (prometheus_client's multiprocess mode), emptied at each start.
    PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/berth-metrics}"
    export PROMETHEUS_MULTIPROC_DIR
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -type f -name '*.db' -delete
    # config/gunicorn.py: gthread workers (WEB_CONCURRENCY processes x GUNICORN_THREADS
    # threads), no recycling, JSON access and error logs without query strings (they
    # may carry a party code).
    exec gunicorn -c config/gunicorn.py config.wsgi:application \
      "$@"
    ;;
  worker)
    exec celery -A config --quiet worker \
      --loglevel "${LOG_LEVEL:-INFO}" \
      --concurrency "${CELERY_WORKER_CONCURRENCY:-2}" \
      "$@"
    ;;
  beat)
    exec celery -A config --quiet beat \
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

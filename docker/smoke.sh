#!/usr/bin/env bash
# Build Berth's image and run it for real on this machine (make docker-smoke):
#
#   - starts dockerd if it is not running (root; --storage-driver=vfs --iptables=false
#     --bridge=none, containers on the host's network);
#   - uses the official python:3.11-slim-bookworm base if present, else a local base
#     (docker/make-base-image.sh, built once and kept);
#   - builds the image, checks it holds no tests, secrets or keys and runs as a user;
#   - validates docker/compose.yml with docker compose or Debian's docker-compose;
#   - runs web, worker and beat containers against this machine's PostgreSQL (a fresh
#     database, berth_smoke) and Redis (database 11), each with the health check that
#     compose.yml gives it, on a free port;
#   - migrates through the entrypoint, registers a party through the API and waits until
#     the containerised worker has placed it, checks /healthz, /readyz and /metrics and
#     that every process runs as a user other than root;
#   - writes the image size, build and cold-start times to docs/benchmarks.md.
#
# Exit status: 0 passed, 1 failed, 3 Docker cannot run here (the reason is printed).
# Settings: BASE_IMAGE (skip the choice above), SMOKE_PG (postgres://postgres@127.0.0.1:5432),
# SMOKE_REDIS_DB (11), SMOKE_LOGS (/tmp/berth-smoke-logs), SMOKE_KEEP=1 (leave containers).
set -euo pipefail
cd "$(dirname "$0")/.."

# The classic builder: it needs no buildx plugin and pulls no frontend image.
export DOCKER_BUILDKIT=0
DOCKER="${DOCKER:-docker}"
IMAGE="${SMOKE_IMAGE:-berth:smoke}"
LOCAL_BASE="berth-base:bookworm"
OFFICIAL_BASE="python:3.11-slim-bookworm"
PG="${SMOKE_PG:-postgres://postgres@127.0.0.1:5432}"
DB="berth_smoke"
REDIS_DB="${SMOKE_REDIS_DB:-11}"
LOGS="${SMOKE_LOGS:-/tmp/berth-smoke-logs}"
NAME="berth-smoke"
PY="${PY:-.venv/bin/python}"
CANNOT=3

mkdir -p "$LOGS"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/berth-smoke.XXXXXX")"
started_dockerd=""
started_at=$(date +%s)

say() { printf 'docker smoke: %s\n' "$*"; }
cannot() {
  printf 'docker smoke skipped: %s\n' "$*"
  exit "$CANNOT"
}
ms() { echo $(($(date +%s%N) / 1000000)); }
seconds() { awk "BEGIN { printf \"%.1f\", $1 / 1000 }"; }

cleanup() {
  status=$?
  if [ "$status" != 0 ] && [ "$status" != "$CANNOT" ]; then
    for role in web worker beat; do
      "$DOCKER" logs "$NAME-$role" >"$LOGS/$role.log" 2>&1 || true
    done
    say "FAILED; logs in $LOGS"
  fi
  if [ -z "${SMOKE_KEEP:-}" ]; then
    for role in web worker beat; do "$DOCKER" rm -f "$NAME-$role" >/dev/null 2>&1 || true; done
  fi
  rm -rf "$WORK"
  if [ -n "$started_dockerd" ]; then
    kill "$started_dockerd" 2>/dev/null || true
    wait "$started_dockerd" 2>/dev/null || true
  fi
}
trap cleanup EXIT

fail() {
  say "$*"
  exit 1
}

# --- The engine ---------------------------------------------------------------------------
command -v "$DOCKER" >/dev/null || cannot "no docker client (Debian: apt-get install docker.io)"
if ! "$DOCKER" info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || cannot "no Docker engine (Debian: apt-get install docker.io)"
  [ "$(id -u)" = 0 ] || cannot "dockerd is not running, and only root may start it"
  say "starting dockerd (log: $LOGS/dockerd.log)"
  dockerd --storage-driver=vfs --iptables=false --bridge=none >"$LOGS/dockerd.log" 2>&1 &
  started_dockerd=$!
  for _ in $(seq 1 60); do
    "$DOCKER" info >/dev/null 2>&1 && break
    kill -0 "$started_dockerd" 2>/dev/null || {
      started_dockerd=""
      cannot "dockerd exited: $(tail -n 3 "$LOGS/dockerd.log" | tr '\n' ' ')"
    }
    sleep 1
  done
  "$DOCKER" info >/dev/null 2>&1 || cannot "dockerd did not answer within 60 s"
fi
for tool in psql redis-cli curl "$PY"; do
  command -v "$tool" >/dev/null || fail "needs $tool"
done

# --- The base image -----------------------------------------------------------------------
base_build_ms=""
if [ -z "${BASE_IMAGE:-}" ]; then
  if "$DOCKER" image inspect "$OFFICIAL_BASE" >/dev/null 2>&1; then
    BASE_IMAGE="$OFFICIAL_BASE"
  else
    BASE_IMAGE="$LOCAL_BASE"
    if ! "$DOCKER" image inspect "$LOCAL_BASE" >/dev/null 2>&1; then
      if ! command -v debootstrap >/dev/null; then
        [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
          || cannot "no base image, and no debootstrap to make one"
        say "installing debootstrap"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >"$LOGS/apt.log" 2>&1 \
          || cannot "apt-get install debootstrap failed (see $LOGS/apt.log)"
      fi
      say "making the base image $LOCAL_BASE (debootstrap; log: $LOGS/base.log)"
      t0=$(ms)
      DOCKER="$DOCKER" docker/make-base-image.sh "$LOCAL_BASE" >"$LOGS/base.log" 2>&1 \
        || fail "the base image could not be made (see $LOGS/base.log)"
      base_build_ms=$(($(ms) - t0))
      say "base image made in $(seconds "$base_build_ms") s"
    fi
  fi
fi

# --- The image ----------------------------------------------------------------------------
# HTTPS from this machine may pass a proxy that this machine's own certificate
# authorities vouch for (Debian keeps added ones in /usr/local/share/ca-certificates):
# pip in the build trusts them too (EXTRA_CA_CERTS, docker/Dockerfile).
extra_ca=""
for cert in ${SMOKE_EXTRA_CA:-/usr/local/share/ca-certificates/*.crt}; do
  [ -f "$cert" ] && extra_ca="$extra_ca$(cat "$cert")"$'\n'
done
say "building $IMAGE on $BASE_IMAGE (log: $LOGS/build.log)"
: >"$LOGS/build.log"
t0=$(ms)
# The build stage is tagged too, so that its layers (the installed dependencies) stay in
# Docker's cache for the next build while the images of earlier runs are removed.
for target in build runtime; do
  tag="$IMAGE"
  [ "$target" = build ] && tag="$IMAGE-build"
  "$DOCKER" build --network host --build-arg BASE_IMAGE="$BASE_IMAGE" \
    --build-arg EXTRA_CA_CERTS="$extra_ca" --target "$target" \
    -f docker/Dockerfile -t "$tag" . >>"$LOGS/build.log" 2>&1 \
    || fail "the build failed: $(tail -n 5 "$LOGS/build.log" | tr '\n' ' ')"
done
build_ms=$(($(ms) - t0))
# With the vfs storage driver every layer is a full copy: drop the earlier runs' images.
"$DOCKER" image prune -f >/dev/null 2>&1 || true
# The dependency layer (pip install from the lock) came from Docker's cache, or not.
deps_cached=no
grep -A1 -- "pip install --require-hashes" "$LOGS/build.log" | grep -q "Using cache" && deps_cached=yes
size_bytes=$("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE")
size_mb=$((size_bytes / 1000000))
say "built in $(seconds "$build_ms") s, ${size_mb} MB"

[ "$("$DOCKER" image inspect -f '{{.Config.User}}' "$IMAGE")" = "10001:10001" ] \
  || fail "the image does not run as user 10001"
image_env=$("$DOCKER" image inspect -f '{{json .Config.Env}}' "$IMAGE")
for secret in SECRET_KEY FIELD_ENCRYPTION_KEY LOOKUP_HASH_KEY DATABASE_URL REDIS_URL \
  METRICS_TOKEN SENTRY_DSN POSTGRES_PASSWORD; do
  case "$image_env" in *"\"$secret="*) fail "the image's environment sets $secret" ;; esac
done
"$DOCKER" run --rm --network none --entrypoint sh "$IMAGE" -c '
  set -e
  for path in /app/tests /app/benchmarks /app/docs /app/.git /app/.ci /app/.env \
      /app/docker/.env /app/requirements/dev.txt /app/uv.lock /app/.venv; do
    if [ -e "$path" ]; then echo "in the image: $path"; exit 1; fi
  done
  found=$(find /app /var/lib/berth -xdev \( -name "test_*.py" -o -name "conftest.py" \
    -o -name "*.pem" -o -name "*.key" -o -name "id_rsa*" -o -name ".env" \
    -o -name "*.sqlite3" \) -print)
  if [ -n "$found" ]; then echo "in the image: $found"; exit 1; fi
  if grep -rIl -e "-----BEGIN [A-Z ]*PRIVATE KEY" /app; then exit 1; fi
  test "$(id -u)" = 10001
' >"$LOGS/image-check.log" 2>&1 || fail "image contents: $(cat "$LOGS/image-check.log")"
say "image holds no tests, secrets or keys; runs as uid 10001"

# --- The compose file ---------------------------------------------------------------------
mkdir -p "$WORK/compose"
cp docker/compose.yml "$WORK/compose/compose.yml"
sed 's/^POSTGRES_PASSWORD=$/POSTGRES_PASSWORD=smoke/' docker/.env.example >"$WORK/compose/.env"
if "$DOCKER" compose version >/dev/null 2>&1; then
  compose=("$DOCKER" compose)
elif command -v docker-compose >/dev/null; then
  compose=(docker-compose)
else
  fail "no docker compose or docker-compose to validate docker/compose.yml"
fi
"${compose[@]}" -f "$WORK/compose/compose.yml" config -q >"$LOGS/compose.log" 2>&1 \
  || fail "docker/compose.yml is invalid: $(cat "$LOGS/compose.log")"
say "docker/compose.yml is valid (${compose[*]} config)"

# The health checks of compose.yml, as `docker run` options.
probe() {
  "$PY" - "$1" <<'EOF'
import shlex, sys, yaml
check = yaml.safe_load(open("docker/compose.yml"))["services"][sys.argv[1]]["healthcheck"]
kind, *rest = check["test"]
command = rest[0] if kind == "CMD-SHELL" else shlex.join(rest)
print(command.replace("$$", "$"))
EOF
}

# --- Services of this machine -------------------------------------------------------------
PGOPTIONS="--client-min-messages=warning" psql "$PG/postgres" -v ON_ERROR_STOP=1 -q \
  -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null \
  || fail "cannot create the database $DB at $PG"
redis-cli -n "$REDIS_DB" flushdb >/dev/null || fail "Redis does not answer"
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
secret() { "$PY" -c "import secrets; print(secrets.token_urlsafe($1))"; }
METRICS_TOKEN=$(secret 32)
cat >"$WORK/env" <<EOF
SECRET_KEY=$(secret 50)
FIELD_ENCRYPTION_KEY=$("$PY" -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')
LOOKUP_HASH_KEY=$(secret 48)
DATABASE_URL=$PG/$DB
REDIS_URL=redis://127.0.0.1:6379/$REDIS_DB
ALLOWED_HOSTS=127.0.0.1,localhost
CSRF_TRUSTED_ORIGINS=https://127.0.0.1
METRICS_TOKEN=$METRICS_TOKEN
PORT=$PORT
WEB_CONCURRENCY=2
GUNICORN_THREADS=4
CELERY_WORKER_CONCURRENCY=2
LOG_LEVEL=INFO
EOF
chmod 600 "$WORK/env"
for role in web worker beat; do "$DOCKER" rm -f "$NAME-$role" >/dev/null 2>&1 || true; done

run() {
  local role=$1
  shift
  "$DOCKER" run -d --name "$NAME-$role" --network host --env-file "$WORK/env" \
    --health-cmd "$(probe "$role")" --health-interval 3s --health-timeout 30s \
    --health-retries 3 --health-start-period 60s "$@" "$IMAGE" "$role" >/dev/null
}
get() { # get PATH [curl options]: the status code; the body in $WORK/body
  local path=$1
  shift
  curl -sS -o "$WORK/body" -w '%{http_code}' -H 'Host: 127.0.0.1' "$@" \
    "http://127.0.0.1:$PORT$path" 2>/dev/null || true
}
api() { get "$@" -H 'X-Forwarded-Proto: https' -H "Authorization: Token $TOKEN"; }
wait_for() { # wait_for SECONDS WHAT COMMAND...
  local deadline=$(($(date +%s) + $1)) what=$2
  shift 2
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "timed out waiting for $what"
    sleep 0.2
  done
}
healthz_ok() { [ "$(get /healthz)" = 200 ]; }
healthy() { [ "$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$NAME-$1")" = healthy ]; }
json() { "$PY" -c "import json, sys; print(json.load(open('$WORK/body'))$1)"; }

# --- web: migrations through the entrypoint, then gunicorn --------------------------------
say "web on port $PORT: migrating an empty database, then serving"
t0=$(ms)
run web
t1=$(ms)
wait_for 300 "/healthz on the first start" healthz_ok
first_start_ms=$(($(ms) - t0))
first_serve_ms=$(($(ms) - t1))
"$DOCKER" logs "$NAME-web" >"$WORK/web.log" 2>&1
grep -q "Applying arrivals.0001_initial" "$WORK/web.log" \
  || fail "the web container did not apply the migrations"
say "first start (migrations included): $(seconds "$first_start_ms") s to /healthz 200, $(seconds "$first_serve_ms") s of it after docker run returned"
"$DOCKER" run --rm --network host --env-file "$WORK/env" "$IMAGE" migrate >"$WORK/migrate" 2>&1 \
  || fail "the migrate role failed: $(cat "$WORK/migrate")"
grep -q "No migrations to apply" "$WORK/migrate" || fail "migrate: $(cat "$WORK/migrate")"

"$DOCKER" rm -f "$NAME-web" >/dev/null
t0=$(ms)
run web
t1=$(ms)
wait_for 120 "/healthz on a cold start" healthz_ok
cold_start_ms=$(($(ms) - t0))
cold_serve_ms=$(($(ms) - t1))
say "cold start: $(seconds "$cold_start_ms") s from docker run to /healthz 200, $(seconds "$cold_serve_ms") s of it after docker run returned"

# --- worker and beat ----------------------------------------------------------------------
run worker
run beat
for role in web worker beat; do wait_for 180 "$role to be healthy (its compose probe)" healthy "$role"; done
say "web, worker and beat are healthy by their compose.yml probes"

for role in web worker beat; do
  uids=$("$DOCKER" top "$NAME-$role" -o pid,uid,comm | awk 'NR > 1 { print $2 }' | sort -u | tr '\n' ' ')
  [ -n "$uids" ] || fail "no processes in $role"
  case " $uids" in *" 0 "*) fail "$role runs a process as root: $uids" ;; esac
  [ "$("$DOCKER" exec "$NAME-$role" id -u)" = 10001 ] || fail "$role: id -u is not 10001"
done
say "every process of web, worker and beat runs as uid 10001"

# --- A party, placed by the worker --------------------------------------------------------
"$DOCKER" run --rm --network host --env-file "$WORK/env" -e DJANGO_SUPERUSER_PASSWORD="$(secret 24)" \
  "$IMAGE" manage createsuperuser --noinput --username smoke-admin --email smoke@example.org \
  >"$WORK/superuser" 2>&1 || fail "createsuperuser: $(cat "$WORK/superuser")"
"$DOCKER" exec "$NAME-web" python manage.py shell -c '
import json
from accounts.models import Role
from accounts.services import auth_token_issue, member_create
from shelters.services import city_create, shelter_create, space_create
city = city_create(name="Smoke City", timezone="Asia/Oral")
shelter = shelter_create(city=city, name="School No. 1", kind="school")
space_create(shelter=shelter, name="Gym hall", beds=20)
member = member_create(username="smoke-volunteer", password="a long smoke passphrase",
                       role=Role.VOLUNTEER, cities=[city])
print(json.dumps({"city": str(city.id), "token": auth_token_issue(user=member.user)[1]}))
' >"$WORK/setup" 2>"$WORK/setup.err" || fail "setting up a city: $(cat "$WORK/setup.err")"
CITY=$("$PY" -c "import json; print(json.loads(open('$WORK/setup').read().splitlines()[-1])['city'])")
TOKEN=$("$PY" -c "import json; print(json.loads(open('$WORK/setup').read().splitlines()[-1])['token'])")

t0=$(ms)
status=$(api /api/v1/parties/ -X POST -H 'Content-Type: application/json' --data "{
  \"city\": \"$CITY\", \"consent\": true, \"contact_phone\": \"+7 701 000 00 00\",
  \"members\": [
    {\"given_name\": \"Smoke\", \"family_name\": \"Test\", \"sex\": \"female\", \"age_group\": \"adult\"},
    {\"given_name\": \"Kid\", \"age_group\": \"child\"}]}")
[ "$status" = 201 ] || fail "registration answered $status: $(cat "$WORK/body")"
PARTY=$(json '["id"]')
placed() { [ "$(api "/api/v1/parties/$PARTY/")" = 200 ] && [ "$(json '["status"]')" = placed ]; }
wait_for 60 "the party to be placed by the worker" placed
placed_ms=$(($(ms) - t0))
"$DOCKER" logs "$NAME-worker" >"$WORK/worker.log" 2>&1
grep -q "arrivals.tasks.matching_run" "$WORK/worker.log" \
  || fail "the worker's log shows no matching run"
say "party registered through the API and placed by the worker container in $(seconds "$placed_ms") s"

# --- Health, readiness, metrics -----------------------------------------------------------
[ "$(get /healthz)" = 200 ] || fail "/healthz: $(cat "$WORK/body")"
ready() { [ "$(get /readyz)" = 200 ]; }
wait_for 30 "/readyz" ready
[ "$(json '["worker"]')/$(json '["beat"]')/$(json '["broker"]')" = ok/ok/ok ] \
  || fail "/readyz: $(cat "$WORK/body")"
say "/readyz: $(cat "$WORK/body")"
[ "$(get /metrics)" = 401 ] || fail "/metrics without a token did not answer 401"
[ "$(get /metrics -H "Authorization: Bearer $METRICS_TOKEN")" = 200 ] || fail "/metrics: $(cat "$WORK/body")"
for line in 'berth_http_requests_total{method="POST",route="api/v1/parties/",status="201"}' \
  'berth_beds{city="Smoke City",state="held"} 2.0' 'berth_matching_runs_total{result="done"}' \
  'berth_waiting_parties{city="Smoke City"} 0.0' 'berth_celery_queue_length{queue="celery"}' \
  'berth_beat_last_tick_timestamp_seconds'; do
  grep -qF "$line" "$WORK/body" || fail "/metrics lacks $line"
done
say "/metrics answers with requests by route, beds, matching runs, the queue and beat"

# --- Figures -----------------------------------------------------------------------------
smoke_s=$(($(date +%s) - started_at))
say "passed in ${smoke_s} s"
base_made=$("$DOCKER" image inspect -f '{{index .Config.Labels "berth.base.made-in-seconds"}}' \
  "$BASE_IMAGE" 2>/dev/null || true)
"$PY" - "$size_mb" "$(seconds "$build_ms")" "$deps_cached" "$(seconds "$first_start_ms")" \
  "$(seconds "$cold_start_ms")" "$(seconds "$placed_ms")" "$smoke_s" "$BASE_IMAGE" \
  "$(seconds "$first_serve_ms")" "$(seconds "$cold_serve_ms")" \
  "${base_made:-}" "$([ -n "$base_build_ms" ] && echo yes || echo no)" \
  "$("$DOCKER" version -f '{{.Server.Version}}' 2>/dev/null)" <<'EOF'
import datetime, os, re, sys
from pathlib import Path

(size, build, cached, first, cold, placed, total, base, first_serve, cold_serve,
 base_made, base_now, engine) = sys.argv[1:]
now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
dependencies = "from Docker's cache" if cached == "yes" else "installed from PyPI"
if base_made and base_now == "yes":
    base_note = f"made by this run with debootstrap in {base_made} s"
elif base_made:
    base_note = f"made earlier on this machine with debootstrap, in {base_made} s"
else:
    base_note = "pulled from a registry"
section = f"""<!-- docker:start -->
## The Docker image

`make docker-smoke` (docker/smoke.sh) builds the image and runs web, worker and beat
containers on the host's network against this machine's PostgreSQL and Redis.

| measure | value |
| --- | --- |
| image size | {size} MB |
| image build, the dependency layer {dependencies} | {build} s |
| first start on an empty database: `docker run` to `/healthz` 200, migrations included | {first} s ({first_serve} s once started) |
| cold start, migrations already applied: `docker run` to `/healthz` 200 | {cold} s ({cold_serve} s once started) |
| a party registered through the API until placed by the worker container | {placed} s |
| the whole smoke | {total} s |

- Base image: `{base}`, {base_note}.
  The smoke makes it (`docker/make-base-image.sh`) when it is missing, once per
  machine: Docker keeps it.
- A build reuses Docker's cache of earlier ones: the dependencies are installed again
  only when `requirements/production.txt` changes, the base image only when it is made
  again.
- Cold start: most of it is Docker making the container. The vfs storage driver, which
  Docker runs with here, copies the image's files for every new container; overlay2,
  the usual driver, does not. Once `docker run` returns, the entrypoint runs `migrate`
  (nothing to apply), then gunicorn starts its processes; `/healthz` is asked every
  0.2 s.
- Docker {engine}, vfs storage driver, {os.cpu_count()} CPUs, measured {now}.
<!-- docker:end -->"""
page = Path("docs/benchmarks.md")
text = page.read_text()
pattern = re.compile(r"<!-- docker:start -->.*?<!-- docker:end -->", re.S)
if pattern.search(text):
    text = pattern.sub(lambda _: section, text)
else:
    text = text.rstrip() + "\n\n" + section + "\n"
page.write_text(text)
EOF
say "figures written to docs/benchmarks.md (docker section)"

# Berth: `make run` serves the demo on http://127.0.0.1:$(PORT); `make test` runs the suite.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed
UV := $(VENV)/bin/uv
# Every version, with its hashes: uv.lock, exported for pip to requirements/dev.txt (with
# the dev and bench extras) and requirements/production.txt (the Docker image).
LOCK := requirements/dev.txt

.PHONY: run test bench lint format migrate worker beat messages clean lock upgrade audit docker-smoke

# The virtualenv holds exactly the locked versions, and Berth itself (editable).
$(STAMP): $(LOCK) pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Berth needs $(PYTHON) (set PYTHON=...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@if [ -x $(UV) ] && ! $(UV) lock --check --offline --quiet 2>/dev/null; then \
	  echo "pyproject.toml asks for what uv.lock does not hold: run 'make lock'"; exit 1; \
	fi
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# After adding or changing a dependency in pyproject.toml: lock it, keeping every other
# version as it is. `make upgrade` moves every package to its newest allowed release.
lock:
	@test -x $(UV) || { echo "no $(UV) yet: run 'make test' once first"; exit 1; }
	$(UV) lock
	$(UV) export --frozen --no-emit-project --quiet --all-extras -o requirements/dev.txt
	$(UV) export --frozen --no-emit-project --quiet -o requirements/production.txt

upgrade:
	@test -x $(UV) || { echo "no $(UV) yet: run 'make test' once first"; exit 1; }
	$(UV) lock --upgrade
	$(UV) export --frozen --no-emit-project --quiet --all-extras -o requirements/dev.txt
	$(UV) export --frozen --no-emit-project --quiet -o requirements/production.txt

# Known vulnerabilities of the locked versions (PyPI's advisories), as CI runs it.
audit: $(STAMP)
	$(VENV)/bin/pip-audit --require-hashes --disable-pip --progress-spinner off \
	  -r requirements/production.txt -r requirements/dev.txt

# Build the image and run web, worker and beat against this machine's PostgreSQL and
# Redis (docker/smoke.sh; needs root and Docker, or starts dockerd).
docker-smoke: $(STAMP)
	docker/smoke.sh

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable

run: migrate
	$(PY) manage.py compilemessages --ignore=.venv -v0 || true
	@# The demo (with its published passwords) only goes into the local SQLite database,
	@# or into another when asked for with DEMO=1.
	@if [ -z "$$DATABASE_URL" ] || [ -n "$$DEMO" ]; then \
	  $(PY) manage.py load_demo --if-empty; \
	else \
	  echo "DATABASE_URL is set: no demo data loaded (DEMO=1 make run loads it)."; \
	fi
	@# gunicorn (threads, a deep accept queue) rather than runserver, so bursts of
	@# requests from an integration are all answered; --reload keeps the dev loop.
	@# config/gunicorn.py as in production (JSON logs); the flags below win over it.
	@# Without REDIS_URL, beat runs the timers (matching, hold expiry, ...) in-process.
	@if [ -z "$$REDIS_URL" ]; then \
	  $(VENV)/bin/celery -A config beat --loglevel=WARNING --schedule=$(VENV)/celerybeat-schedule & \
	  BEAT=$$!; trap "kill $$BEAT 2>/dev/null" EXIT INT TERM; \
	fi; \
	echo "Berth: http://127.0.0.1:$(PORT)/ (API docs at /api/docs/). Stop with Ctrl-C."; \
	DJANGO_SETTINGS_MODULE=config.settings.local $(VENV)/bin/gunicorn -c config/gunicorn.py \
	  config.wsgi --bind 127.0.0.1:$(PORT) --workers 2 --threads 8 --reload

test: $(STAMP)
	$(PY) manage.py compilemessages --ignore=.venv -v0 || true
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m benchmarks.matching
	$(PY) -m benchmarks.workflow
	$(PY) -m benchmarks.scale
	$(PY) -m benchmarks.body_limit --compare
	$(PY) -m benchmarks.keepalive --compare
	$(PY) -m benchmarks.field_app
	$(PY) -m benchmarks.board
	$(PY) -m benchmarks.restore
	$(PY) -m benchmarks.spreadsheets

lint: $(STAMP)
	@# Every check runs and reports; lint fails if any of them failed.
	@status=0; \
	$(VENV)/bin/ruff check . || status=1; \
	$(VENV)/bin/ruff format --check . || status=1; \
	$(VENV)/bin/lint-imports || status=1; \
	$(VENV)/bin/mypy || status=1; \
	exit $$status

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

worker: $(STAMP)
	$(VENV)/bin/celery -A config worker --loglevel=INFO --concurrency=2

beat: $(STAMP)
	$(VENV)/bin/celery -A config beat --loglevel=INFO

messages: $(STAMP)
	$(PY) manage.py makemessages -l ru -l kk --ignore=.venv --ignore=benchmarks
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm .pytest_cache .ruff_cache .import_linter_cache .mypy_cache

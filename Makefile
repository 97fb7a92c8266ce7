# TwitchCheck: `make run` to chat, `make test` to check everything. Both set up .venv themselves.
SHELL := /bin/bash
PYTHON ?= python3.10
VENV := .venv
BIN := $(VENV)/bin
MODEL := models/twitchcheck.tar.gz
# Everything that changes the trained model.
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml') $(shell find bot components -name '*.py')
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false
# endpoints.yml reads it; scripts/run.sh sets the same default.
export ACTION_SERVER_URL ?= http://localhost:5055/webhook

.PHONY: setup vendor browser nginx train run shell actions validate lint test test-conversations test-nlu bench profile clean

setup: $(VENV)/.installed

# The chat page's socket.io-client is committed in web/vendor/, so `make run` needs no Node.js; so is axe-core,
# which only the browser tests load (the accessibility check), and rasa-webchat's ready-built bundle, in
# tests/vendor/ because only tests/test_rasa_webchat.py loads it (the chat page server never serves it). This
# refreshes all three from npm, at the versions web/package-lock.json pins. No install script runs: rasa-webchat
# drags in its build tools as dependencies, and nothing but its one built file is used.
vendor:
	cd web && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	cp web/node_modules/socket.io-client/dist/socket.io.min.js web/vendor/
	cp web/node_modules/socket.io-client/LICENSE web/vendor/socket.io-client.LICENSE
	cp web/node_modules/axe-core/axe.min.js web/vendor/
	cp web/node_modules/axe-core/LICENSE web/vendor/axe-core.LICENSE
	cp web/node_modules/axe-core/LICENSE-3RD-PARTY.txt web/vendor/axe-core.LICENSE-3RD-PARTY.txt
	cp web/node_modules/rasa-webchat/lib/index.js tests/vendor/rasa-webchat.js
	cp web/node_modules/rasa-webchat/LICENSE tests/vendor/rasa-webchat.LICENSE

# Debian's Chromium for the widget's browser test (Playwright drives it; it cannot download a browser here).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Debian's nginx: the load balancer in front of two Rasa replicas in the scale-out test.
nginx:
	@test -x /usr/sbin/nginx || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; }

# pip is pinned here and in deploy/Dockerfile, at a version with the security fixes SECURITY.md lists.
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# Trains only when the data or the configuration changed since the last model.
train: $(MODEL)

$(MODEL): $(VENV)/.installed $(TRAINING_INPUTS)
	$(BIN)/rasa train --fixed-model-name twitchcheck --out models
	touch $@

run: $(MODEL)
	scripts/run.sh

shell: $(MODEL)
	scripts/run.sh shell

actions: $(VENV)/.installed
	$(BIN)/rasa run actions --actions actions --port 5055

validate: $(VENV)/.installed
	$(BIN)/python scripts/validate.py

lint: $(VENV)/.installed
	$(BIN)/ruff check bot actions components tests scripts

test: validate lint $(MODEL) browser nginx
	$(BIN)/python -m pytest
	$(MAKE) test-conversations test-nlu

test-conversations: $(MODEL)
	$(BIN)/rasa test core --model $(MODEL) --stories tests/conversations \
		--fail-on-prediction-errors --out results/conversations

# Questions never used in training; fails below 0.97 accuracy for intents or 0.95 for FAQ retrieval.
test-nlu: $(MODEL)
	$(BIN)/rasa test nlu --model $(MODEL) --nlu tests/data/nlu_heldout --out results/heldout
	$(BIN)/python scripts/check_nlu_accuracy.py results/heldout --intent-minimum 0.97 --faq-minimum 0.95

# Measurements, not tests: prints figures, fails on nothing (scripts/bench.py; about 8 minutes).
bench: $(VENV)/.installed $(MODEL)
	$(BIN)/python scripts/bench_extract.py
	$(BIN)/python scripts/bench_nlu.py
	$(BIN)/python -m scripts.bench

# Where Rasa spends its CPU time under 10 users' load: a py-spy flame graph in results/profile.svg.
# PROFILE_ARGS=--served profiles it as make bench serves it (PostgreSQL, Redis locks, two workers).
profile: $(MODEL)
	$(BIN)/python -m scripts.profile_load $(PROFILE_ARGS)

clean:
	rm -rf models results .rasa

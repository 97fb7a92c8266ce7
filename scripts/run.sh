#!/usr/bin/env bash
# Starts the action server (5055), Rasa (5005: REST, Socket.IO, channels) and the chat page (8000).
# `scripts/run.sh shell` chats in this terminal instead. Ctrl-C stops every process started here.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
MODEL=models/twitchcheck.tar.gz
ACTIONS_PORT=${ACTIONS_PORT:-5055}
RASA_PORT=${RASA_PORT:-5005}
CHAT_PORT=${CHAT_PORT:-8000}
# Browsers may open the Socket.IO channel and call Rasa's HTTP routes only from the chat page.
export TWITCHCHECK_CHAT_ORIGINS=${TWITCHCHECK_CHAT_ORIGINS:-"http://localhost:$CHAT_PORT http://127.0.0.1:$CHAT_PORT"}
export ACTION_SERVER_URL=${ACTION_SERVER_URL:-http://localhost:$ACTIONS_PORT/webhook}
export SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false
# The action server answers only this Rasa: a token both share, new for every run unless one is given.
export ACTION_SERVER_TOKEN=${ACTION_SERVER_TOKEN:-$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))')}

# REST: callers with a token (TWITCHCHECK_REST_TOKEN[S]) get their namespace; here, this machine's own
# callers need none (components/channels/rest.py). The served configuration (deploy/) never sets this.
export TWITCHCHECK_REST_OPEN_ON_LOOPBACK=1
# Web chat sessions are signed with this secret (components/channels/chat_socket.py); kept in .rasa, so a
# restart keeps the widget's conversation.
mkdir -p .rasa
if [ -z "${TWITCHCHECK_SESSION_SECRET:-}" ]; then
  if [ ! -s .rasa/session_secret ]; then
    (umask 077 && "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))' >.rasa/session_secret)
  fi
  TWITCHCHECK_SESSION_SECRET=$(cat .rasa/session_secret)
  export TWITCHCHECK_SESSION_SECRET
fi

# Rasa's HTTP API (models, trackers) stays off unless asked for, and then only with a token.
api_args=()
if [ "${TWITCHCHECK_ENABLE_API:-}" = "1" ]; then
  if [ -z "${RASA_API_TOKEN:-}" ]; then
    echo "TWITCHCHECK_ENABLE_API=1 needs RASA_API_TOKEN: the HTTP API is never served without a token." >&2
    exit 2
  fi
  api_args=(--enable-api --auth-token "$RASA_API_TOKEN")
fi
# The assistant's own tables (diary, assessments, consent, summary links), in the tracker store's database.
"$BIN/python" -m scripts.records migrate

pids=()
stop_all() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all INT TERM EXIT

# Retention: what is older than TWITCHCHECK_RETENTION_DAYS (default 365) is removed now and every day.
"$BIN/python" -m scripts.records purge --every-hours 24 &
pids+=($!)
# Reminders: the due Telegram and Slack ones are sent every minute with the channels' own tokens (without
# TELEGRAM_TOKEN or SLACK_TOKEN it warns and sends nothing). Web reminders are not its job: they wait for the
# person's next visit to the widget.
"$BIN/python" -m scripts.reminders --every-seconds 60 &
pids+=($!)

"$BIN/rasa" run actions --actions actions --port "$ACTIONS_PORT" &
pids+=($!)
for _ in $(seq 1 120); do
  curl -sf "http://localhost:$ACTIONS_PORT/health" >/dev/null && break
  sleep 0.5
done

# Conversation locks go to Redis when REDIS_URL is set, which several workers (SANIC_WORKERS) or replicas
# need; the action server is called with the shared token.
mkdir -p .rasa
"$BIN/python" scripts/endpoints.py .rasa/endpoints.yml

if [ "${1:-}" = "shell" ]; then
  "$BIN/rasa" shell --model "$MODEL" --endpoints .rasa/endpoints.yml --port "$RASA_PORT"
  exit
fi

read -ra chat_origins <<<"$TWITCHCHECK_CHAT_ORIGINS"

# Slack and Telegram are on only when their variables are set (see credentials.yml).
"$BIN/python" scripts/credentials.py .rasa/credentials.yml

"$BIN/python" scripts/chat_page.py --port "$CHAT_PORT" --socket-url "http://localhost:$RASA_PORT" &
pids+=($!)

cat <<MSG

  TwitchCheck is starting on http://localhost:$RASA_PORT (ready when Rasa says "Rasa server is up and running").
  Chat in your browser: http://localhost:$CHAT_PORT/
  Or over REST:
    curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"me","message":"hi"}'
  Or chat in a terminal instead: stop this (Ctrl-C) and run  make shell
  Ctrl-C stops everything.

MSG
"$BIN/rasa" run --model "$MODEL" --endpoints .rasa/endpoints.yml --credentials .rasa/credentials.yml \
  --port "$RASA_PORT" --cors "${chat_origins[@]}" "${api_args[@]}" &
pids+=($!)
wait -n "${pids[@]}"

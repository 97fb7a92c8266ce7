#!/usr/bin/env bash
# One image, every role: the entrypoint of deploy/Dockerfile. The same commands as scripts/run.sh, one
# process per container, configured only by environment variables (deploy/README.md lists them).
#
#   docker-entrypoint.sh rasa | actions | chat | migrate | purge | reminders | wait-for-migrations | <any command>
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=models/twitchcheck.tar.gz
# Generated files go to a scratch directory: the image's own files stay read-only.
RUNTIME_DIR=${TMPDIR:-/tmp}/twitchcheck

case "${1:-}" in
  rasa)
    shift
    : "${ACTION_SERVER_URL:?set ACTION_SERVER_URL (e.g. http://actions:5055/webhook)}"
    : "${TWITCHCHECK_CHAT_ORIGINS:?set TWITCHCHECK_CHAT_ORIGINS to the chat page origins (space separated)}"
    api_args=()
    if [ "${TWITCHCHECK_ENABLE_API:-}" = "1" ]; then
      if [ -z "${RASA_API_TOKEN:-}" ]; then
        echo "TWITCHCHECK_ENABLE_API=1 needs RASA_API_TOKEN: the HTTP API is never served without a token." >&2
        exit 2
      fi
      api_args=(--enable-api --auth-token "$RASA_API_TOKEN")
    fi
    read -ra chat_origins <<<"$TWITCHCHECK_CHAT_ORIGINS"
    # Slack and Telegram are on only when their variables are set; REDIS_URL puts the conversation locks
    # in Redis, which more than one replica (or SANIC_WORKERS>1) needs.
    mkdir -p "$RUNTIME_DIR"
    python scripts/credentials.py "$RUNTIME_DIR/credentials.yml"
    python scripts/endpoints.py "$RUNTIME_DIR/endpoints.yml"
    exec rasa run --model "$MODEL" --endpoints "$RUNTIME_DIR/endpoints.yml" \
      --credentials "$RUNTIME_DIR/credentials.yml" --port 5005 --cors "${chat_origins[@]}" "${api_args[@]}" "$@"
    ;;
  actions)
    shift
    exec rasa run actions --actions actions --port 5055 "$@"
    ;;
  chat)
    shift
    # CHAT_HOST (0.0.0.0 in the image) and TWITCHCHECK_SOCKET_URL (the public Rasa URL) configure it.
    exec python scripts/chat_page.py --port 8000 "$@"
    ;;
  migrate)
    exec python -m scripts.records migrate
    ;;
  purge)
    shift
    exec python -m scripts.records purge "$@"
    ;;
  reminders)
    shift
    # Sends the due Telegram and Slack reminders: one round, or a round every N s with --every-seconds N.
    exec python -m scripts.reminders "$@"
    ;;
  wait-for-migrations)
    shift
    exec python deploy/wait_for_migrations.py "$@"
    ;;
  "")
    sed -n '2,5p' "$0" >&2
    exit 2
    ;;
  *)
    exec "$@"
    ;;
esac

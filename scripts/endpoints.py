"""Writes the endpoints Rasa runs with: endpoints.yml, plus a Redis lock store when REDIS_URL is set.

Rasa handles one person's messages one after another by locking their conversation. Its default lock lives
in the process's memory, which is right for `make run` (one process) and wrong for anything more: several
Sanic workers (SANIC_WORKERS) or several Rasa replicas must share the lock, in Redis. So:

    REDIS_URL=redis://127.0.0.1:6379/1 SANIC_WORKERS=2 make run

Rasa itself refuses more than one worker without a shared lock store (it falls back to one). The lock store
is components/stores/lock_store.py, Rasa's Redis lock store made safe for several processes at once (Rasa's
own loses a message when one person's messages reach two replicas at the same moment).

    python scripts/endpoints.py OUT.yml
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Mapping

import yaml
from sqlalchemy.engine import make_url

ENDPOINTS = Path(__file__).resolve().parent.parent / "endpoints.yml"
LOCK_KEY_PREFIX = "twitchcheck"
ACTION_SERVER_TOKEN = "ACTION_SERVER_TOKEN"


def redis_lock_store(redis_url: str) -> dict[str, Any]:
    """The `lock_store` section for a redis:// or rediss:// URL: host, port, database, password."""
    url = make_url(redis_url)
    if url.drivername not in ("redis", "rediss"):
        raise ValueError(f"REDIS_URL must start with redis:// or rediss://, not {url.drivername}://")
    section: dict[str, Any] = {
        "type": "components.stores.lock_store.AtomicRedisLockStore",
        "url": url.host or "localhost",
        "port": url.port or 6379,
        "db": int(url.database or 0),
        "key_prefix": LOCK_KEY_PREFIX,
    }
    if url.username:
        section["username"] = url.username
    if url.password:
        section["password"] = url.password
    if url.drivername == "rediss":
        section["use_ssl"] = True
    return section


def endpoints(
    environ: Mapping[str, str] | None = None, action_server_url: str | None = None
) -> dict[str, Any]:
    """endpoints.yml, with the action server at `action_server_url` if given, the lock store if REDIS_URL."""
    environ = os.environ if environ is None else environ
    config = yaml.safe_load(ENDPOINTS.read_text(encoding="utf-8"))
    if action_server_url:
        config["action_endpoint"] = {**config["action_endpoint"], "url": action_server_url}
    if environ.get(ACTION_SERVER_TOKEN):
        # The action server answers only callers with this token (rasa_sdk_plugins).
        headers = {"Authorization": f"Bearer {environ[ACTION_SERVER_TOKEN]}"}
        config["action_endpoint"] = {**config["action_endpoint"], "headers": headers}
    if environ.get("REDIS_URL"):
        config["lock_store"] = redis_lock_store(environ["REDIS_URL"])
    return config


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    Path(argv[0]).parent.mkdir(parents=True, exist_ok=True)
    Path(argv[0]).write_text(yaml.safe_dump(endpoints(), sort_keys=False), encoding="utf-8")
    where = "in Redis (REDIS_URL)" if os.environ.get("REDIS_URL") else "in this process (set REDIS_URL)"
    print(f"  conversation locks: {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

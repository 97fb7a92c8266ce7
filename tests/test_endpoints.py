"""Conversation locks stay in the process for `make run` and go to Redis when REDIS_URL says so."""

from __future__ import annotations

import pytest

from scripts.endpoints import endpoints


def test_make_run_keeps_locks_in_its_own_process() -> None:
    config = endpoints({})
    assert "lock_store" not in config
    assert config["tracker_store"]["type"] == "components.stores.tracker_store.ConversationStore"


def test_redis_url_gives_rasa_a_shared_lock_store() -> None:
    config = endpoints({"REDIS_URL": "redis://:secret@cache.internal:6380/2"}, "http://actions:5055/webhook")
    assert config["lock_store"] == {
        "type": "components.stores.lock_store.AtomicRedisLockStore",
        "url": "cache.internal",
        "port": 6380,
        "db": 2,
        "key_prefix": "twitchcheck",
        "password": "secret",
    }
    assert config["action_endpoint"] == {
        "url": "http://actions:5055/webhook",
        "enable_selective_domain": True,
    }
    assert endpoints({"REDIS_URL": "rediss://cache"})["lock_store"]["use_ssl"] is True


def test_a_url_that_is_not_redis_is_refused_plainly() -> None:
    with pytest.raises(ValueError, match="REDIS_URL must start with redis://"):
        endpoints({"REDIS_URL": "http://cache:6379"})


def test_rasa_calls_the_action_server_with_the_shared_token() -> None:
    config = endpoints({"ACTION_SERVER_TOKEN": "t0ken"}, "http://actions:5055/webhook")
    assert config["action_endpoint"]["headers"] == {"Authorization": "Bearer t0ken"}
    assert "headers" not in endpoints({})["action_endpoint"]

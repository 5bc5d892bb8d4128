"""Several workers share rate limits through Redis when RATELIMIT_STORAGE_URI is set."""

from __future__ import annotations

import uuid
from dataclasses import replace

import redis

from tests.conftest import sign_in


def test_sign_in_throttling_is_shared_through_redis(app_config, demo, another_app):
    config = replace(app_config, ratelimit_storage_uri="redis://127.0.0.1:6379/15")
    # Two app instances stand for two workers; they share nothing but Redis.
    first, second = another_app(config), another_app(config)
    username = f"nobody-{uuid.uuid4().hex[:8]}"

    answers = [sign_in(first.test_client(), username, "wrong").status_code for _ in range(3)]
    answers += [sign_in(second.test_client(), username, "wrong").status_code for _ in range(3)]

    assert answers == [401] * 5 + [429]
    # The count lives in Redis, where every worker and host sees it.
    store = redis.Redis(host="127.0.0.1", port=6379, db=15)
    keys = store.keys(f"*{username}*")
    assert keys
    store.delete(*keys)

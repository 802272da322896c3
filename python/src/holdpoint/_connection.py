"""A resolved connection: everything a request needs, computed once per SDK call."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ._retry import DEFAULT_RETRY_POLICY, RetryPolicy
from .config import ResolvedConfig, resolve_config

#: Per-attempt deadline (seconds) of the short requests: create, get, cancel.
REQUEST_TIMEOUT = 30.0


@dataclass(frozen=True)
class Connection:
    config: ResolvedConfig
    policy: RetryPolicy
    #: An httpx transport to send through (a proxy, a test's fault injector); None: httpx's own.
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None

    def sync_transport(self) -> httpx.BaseTransport | None:
        if self.transport is not None and not isinstance(self.transport, httpx.BaseTransport):
            raise TypeError("the blocking API needs an httpx.BaseTransport, not an async one")
        return self.transport

    def async_transport(self) -> httpx.AsyncBaseTransport | None:
        if self.transport is not None and not isinstance(self.transport, httpx.AsyncBaseTransport):
            raise TypeError("the asyncio API needs an httpx.AsyncBaseTransport, not a blocking one")
        return self.transport


def connect(
    url: str | None,
    token: str | None,
    unavailable_after: float | None,
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
) -> Connection:
    limit = DEFAULT_RETRY_POLICY.unavailable_after if unavailable_after is None else float(unavailable_after)
    if not limit >= 0:
        raise ValueError("unavailable_after must be a number of seconds >= 0")
    policy = RetryPolicy(
        initial_delay=DEFAULT_RETRY_POLICY.initial_delay,
        max_delay=DEFAULT_RETRY_POLICY.max_delay,
        unavailable_after=limit,
    )
    return Connection(config=resolve_config(url, token), policy=policy, transport=transport)

"""One implementation of every SDK call, two ways to run it (blocking and asyncio).

The rules (retry policy, idempotent create, long-poll loop, mapping answers to errors) are
written once as generators that *yield* what they need done, an HTTP attempt or a pause,
and receive the result. ``run_sync`` performs those with ``httpx.Client`` and
``time.sleep``; ``run_async`` with ``httpx.AsyncClient`` and ``asyncio.sleep``. That keeps
``await_human`` and ``await_human_async`` from drifting apart, which two hand-copied loops
would sooner or later do.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from .config import ResolvedConfig

T = TypeVar("T")


@dataclass(frozen=True)
class Attempt:
    """One HTTP exchange; ``timeout`` is its client-side deadline (a hung server is a down one)."""

    method: str
    path: str
    timeout: float
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Pause:
    seconds: float


@dataclass(frozen=True)
class Answer:
    status: int
    headers: httpx.Headers
    body: Any


class RetryableFailure(Exception):
    """No answer at all, or an answer saying "not now" (5xx, 408, 429)."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        #: The server's Retry-After, in seconds, when it gave one.
        self.retry_after = retry_after


Effect = Attempt | Pause
#: A call written against the effects above: yields effects, gets their results sent back.
Flow = Generator[Effect, Any, T]


def _is_retryable_status(status: int) -> bool:
    return status >= 500 or status in (408, 429)


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # HTTP-date form: rare from Holdpoint; backoff covers it.


def _parse_body(text: str) -> Any:
    if text == "":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _request_args(config: ResolvedConfig, attempt: Attempt) -> dict[str, Any]:
    headers = {
        "accept": "application/json, application/problem+json",
        "authorization": f"Bearer {config.token}",
        **attempt.headers,
    }
    args: dict[str, Any] = {
        "method": attempt.method,
        "url": config.url + attempt.path,
        "headers": headers,
        "timeout": attempt.timeout,
    }
    if attempt.body is not None:
        headers["content-type"] = "application/json"
        args["content"] = json.dumps(attempt.body, separators=(",", ":")).encode()
    return args


def _classify(attempt: Attempt, status: int, headers: httpx.Headers, text: str) -> Answer:
    if _is_retryable_status(status):
        raise RetryableFailure(f"HTTP {status} from {attempt.method} {attempt.path}", status, _retry_after(headers))
    return Answer(status=status, headers=headers, body=_parse_body(text))


def _network_failure(attempt: Attempt, error: httpx.HTTPError) -> RetryableFailure:
    # The message names the route and the error type only: never the headers (token) or body.
    return RetryableFailure(f"{attempt.method} {attempt.path} failed: {type(error).__name__}: {error}")


def _perform_sync(client: httpx.Client, config: ResolvedConfig, attempt: Attempt) -> Answer:
    try:
        response = client.request(**_request_args(config, attempt))
        # The body is read inside the deadline too: a server dying mid-answer is just another outage.
        return _classify(attempt, response.status_code, response.headers, response.text)
    except httpx.HTTPError as error:
        raise _network_failure(attempt, error) from error


async def _perform_async(client: httpx.AsyncClient, config: ResolvedConfig, attempt: Attempt) -> Answer:
    try:
        response = await client.request(**_request_args(config, attempt))
        return _classify(attempt, response.status_code, response.headers, response.text)
    except httpx.HTTPError as error:
        raise _network_failure(attempt, error) from error


def run_sync(flow: Flow[T], config: ResolvedConfig, transport: httpx.BaseTransport | None = None) -> T:
    with httpx.Client(transport=transport) as client:
        result: Any = None
        failure: BaseException | None = None
        while True:
            try:
                effect = flow.throw(failure) if failure is not None else flow.send(result)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            result, failure = None, None
            if isinstance(effect, Pause):
                time.sleep(effect.seconds)
                continue
            try:
                result = _perform_sync(client, config, effect)
            except RetryableFailure as error:
                failure = error


async def run_async(flow: Flow[T], config: ResolvedConfig, transport: httpx.AsyncBaseTransport | None = None) -> T:
    async with httpx.AsyncClient(transport=transport) as client:
        result: Any = None
        failure: BaseException | None = None
        while True:
            try:
                effect = flow.throw(failure) if failure is not None else flow.send(result)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            result, failure = None, None
            if isinstance(effect, Pause):
                await asyncio.sleep(effect.seconds)
                continue
            try:
                result = await _perform_async(client, config, effect)
            except RetryableFailure as error:
                failure = error

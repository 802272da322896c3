"""Outages and retries: a server restart mid-wait, a lost create answer, a server that
stays down. The faults are real (a killed process, a dropped answer), the server is real."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from queue import Queue

import httpx
import pytest
from pydantic import BaseModel

from holdpoint import (
    Checkpoint,
    HoldpointUnavailableError,
    IdempotencyConflictError,
    await_human,
    create_checkpoint,
    create_checkpoint_async,
)
from support.server import Holdpoint, free_port


class Decision(BaseModel):
    approved: bool


def test_await_human_survives_a_server_restart(private_holdpoint: Holdpoint) -> None:
    server = private_holdpoint
    created: Queue[Checkpoint] = Queue()
    result: Future[Decision] = Future()

    def agent() -> None:
        try:
            result.set_result(
                await_human(
                    task="Survive a restart?",
                    response_model=Decision,
                    wait_seconds=2,
                    on_created=created.put,
                    url=server.url,
                    token=server.token,
                )
            )
        except BaseException as error:
            result.set_exception(error)

    threading.Thread(target=agent, daemon=True).start()
    checkpoint = created.get(timeout=15)
    server.kill()  # SIGKILL while the agent is inside a long-poll
    time.sleep(1.0)
    assert not result.done()
    server.start()  # same port, same Redis prefix: the same deployment, back again
    assert server.answer(checkpoint.id, {"approved": False}).status_code == 200
    assert result.result(timeout=30) == Decision(approved=False)


class DropFirstCreateAnswer(httpx.BaseTransport):
    """Sends every request to the real server, but loses the answer of the first create,
    as a connection reset after the server committed would."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.creates = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path == "/v1/checkpoints":
            self.creates += 1
            if self.creates == 1:
                response.read()
                response.close()
                raise httpx.ReadError("connection reset after the server answered", request=request)
        return response


def test_retried_create_after_lost_answer_does_not_duplicate(holdpoint: Holdpoint) -> None:
    transport = DropFirstCreateAnswer()
    task = f"Exactly once {time.time_ns()}"
    checkpoint = create_checkpoint(
        task=task, response_model=Decision, url=holdpoint.url, token=holdpoint.token, transport=transport
    )
    assert transport.creates == 2  # the SDK retried
    items = holdpoint.api("GET", "/v1/checkpoints?limit=50").json()["items"]
    assert [c["id"] for c in items if c["task"] == task] == [checkpoint.id]


async def test_same_key_replays_and_different_body_conflicts(holdpoint: Holdpoint) -> None:
    key = f"order-{time.time_ns()}"
    first = await create_checkpoint_async(
        task="Refund order 1?", response_model=Decision, idempotency_key=key, url=holdpoint.url, token=holdpoint.token
    )
    again = await create_checkpoint_async(
        task="Refund order 1?", response_model=Decision, idempotency_key=key, url=holdpoint.url, token=holdpoint.token
    )
    assert again.id == first.id
    with pytest.raises(IdempotencyConflictError) as caught:
        await create_checkpoint_async(
            task="Refund order 2?",
            response_model=Decision,
            idempotency_key=key,
            url=holdpoint.url,
            token=holdpoint.token,
        )
    assert caught.value.code == "idempotency_conflict"
    assert caught.value.status == 409


def test_gives_up_after_the_unavailability_bound() -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(HoldpointUnavailableError) as caught:
        create_checkpoint(task="Anyone?", response_model=Decision, url=nobody, token="t", unavailable_after=1.5)
    elapsed = time.monotonic() - started
    assert caught.value.code == "holdpoint_unavailable"
    assert 1.5 <= elapsed < 5

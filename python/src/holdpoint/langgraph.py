"""LangGraph (Python): a node asks a person and the graph pauses on ``interrupt()``;
Holdpoint's signed resume webhook, handed to ``LangGraphResumeReceiver``, resumes the
right thread with ``Command(resume=…)``. Mirrors sdk/langgraph.ts.

Needs ``langgraph`` (``pip install holdpoint[langgraph]``); ``import holdpoint`` alone
does not.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from langgraph.config import get_config
from langgraph.types import Command, interrupt

from .client import create_checkpoint, create_checkpoint_async
from .duration import Duration
from .errors import WebhookVerificationError
from .models import Checkpoint, ResumeData, ResumeEvent
from .resume_outcome import outcome_of
from .webhook import Body, WebhookHeaders, verify_webhook

T = TypeVar("T")

__all__ = [
    "LangGraphResumeReceiver",
    "NodePosition",
    "ReceiverAnswer",
    "ask_human_in_node",
    "ask_human_in_node_async",
    "interrupt_checkpoint_id",
    "node_position",
    "question_key",
]


@dataclass(frozen=True)
class NodePosition:
    """Where the question sits in the run; stored in the checkpoint's metadata for the receiver."""

    thread_id: str
    node: str
    step: int
    #: Which ``interrupt()`` of this node execution (0 for the first).
    index: int

    def as_metadata(self) -> dict[str, Any]:
        # camelCase: the same metadata the TypeScript helper writes, so either receiver works.
        return {"threadId": self.thread_id, "node": self.node, "step": self.step, "index": self.index}


_COUNT_REPR = re.compile(r"count\((\d+)\)")


def _next_interrupt_index(configurable: Mapping[str, Any]) -> int:
    """The index LangGraph will give the next ``interrupt()`` of this node execution.

    LangGraph counts interrupts in the run's scratchpad (that is how it matches resume
    values to calls); reading the same counter keeps our key in step with LangGraph's own
    matching across re-executions. The counter is an ``itertools.count`` behind a lazy
    wrapper, which cannot be read without advancing it, except through its repr. This is
    LangGraph-internal; if its shape changes we fall back to 0, which is right for the
    common case of one question per node.
    """
    scratchpad = configurable.get("__pregel_scratchpad")
    counter = getattr(scratchpad, "interrupt_counter", None)
    inner = getattr(counter, "_counter", "absent")
    if inner is None:
        return 0  # created lazily on the first interrupt(): none yet in this execution
    match = _COUNT_REPR.fullmatch(repr(getattr(inner, "__self__", None)))
    return int(match.group(1)) if match else 0


def node_position() -> NodePosition:
    config = get_config()
    configurable: Mapping[str, Any] = config.get("configurable") or {}
    thread_id = configurable.get("thread_id")
    if not isinstance(thread_id, (str, int)) or isinstance(thread_id, bool):
        raise TypeError(
            "ask_human_in_node needs a thread: invoke the graph with "
            '{"configurable": {"thread_id": …}} and compile it with a checkpointer'
        )
    metadata: Mapping[str, Any] = config.get("metadata") or {}
    node = metadata.get("langgraph_node")
    return NodePosition(
        thread_id=str(thread_id),
        node=node if isinstance(node, str) else "node",
        step=int(metadata.get("langgraph_step") or 0),
        index=_next_interrupt_index(configurable),
    )


def question_key(position: NodePosition) -> str:
    """The idempotency key of one question: thread + node + step + interrupt index.

    A node re-executed after its resume recreates the same key (Holdpoint replays the
    checkpoint, no one is asked twice); two threads, or one node visited again in a later
    step, never share one. Same scheme as the TypeScript helper.
    """
    return f"langgraph:{position.thread_id}:{position.node}:{position.step}:{position.index}"


def interrupt_checkpoint_id(value: object) -> str | None:
    """The Holdpoint checkpoint id an interrupt value carries, if it is one of ours."""
    if isinstance(value, Mapping):
        found = value.get("holdpointCheckpointId")
        return found if isinstance(found, str) else None
    return None


def _interrupt_value(checkpoint: Checkpoint, task: str) -> dict[str, str]:
    # Plain JSON so every checkpointer can store it; `link` is handy in LangGraph Studio.
    return {"holdpointCheckpointId": checkpoint.id, "task": task, "link": checkpoint.links.dashboard}


def _resume_data(resumed: object, checkpoint_id: str) -> ResumeData:
    # The receiver resumes with the whole resume event; a resume from Studio or by hand may
    # carry the bare answer instead.
    if isinstance(resumed, Mapping) and isinstance(resumed.get("data"), Mapping):
        if resumed["data"].get("checkpointId") is not None:
            return ResumeEvent.model_validate(resumed).data
    return ResumeData(checkpoint_id=checkpoint_id, state="resolved", response=resumed)


def _metadata(metadata: Mapping[str, Any] | None, position: NodePosition) -> dict[str, Any]:
    return {**(metadata or {}), "langgraph": position.as_metadata()}


def ask_human_in_node(
    task: str,
    *,
    response_model: type[T],
    resume: Mapping[str, Any],
    payload: Any = None,
    payload_model: Any = None,
    notify: Sequence[str] | None = None,
    assign_to: Sequence[str] | None = None,
    timeout: Duration | None = None,
    on_timeout: Any = None,
    metadata: Mapping[str, Any] | None = None,
    url: str | None = None,
    token: str | None = None,
    **options: Any,
) -> T:
    """Call inside a node: creates the checkpoint (idempotently), pauses the graph on
    ``interrupt()``, and once resumed returns the answer parsed by ``response_model``, or
    raises CheckpointTimeoutError / CheckpointCancelledError / CheckpointRejectedError.

    ``resume`` is how Holdpoint wakes the graph: ``{"webhook": {"url": …}}`` pointing at a
    ``LangGraphResumeReceiver``. Like any code before an ``interrupt()``, the question must
    be the same on every execution of the node. Other keyword options (``escalation``,
    ``verify``, ``unavailable_after``, …) are passed to ``create_checkpoint``.
    """
    position = node_position()
    checkpoint = create_checkpoint(
        task=task, response_model=response_model, resume=resume, payload=payload, payload_model=payload_model,
        notify=notify, assign_to=assign_to, timeout=timeout, on_timeout=on_timeout,
        metadata=_metadata(metadata, position), idempotency_key=question_key(position), url=url, token=token,
        **options,
    )  # fmt: skip
    resumed = interrupt(_interrupt_value(checkpoint, task))
    return outcome_of(_resume_data(resumed, checkpoint.id), response_model).response


async def ask_human_in_node_async(
    task: str,
    *,
    response_model: type[T],
    resume: Mapping[str, Any],
    payload: Any = None,
    payload_model: Any = None,
    notify: Sequence[str] | None = None,
    assign_to: Sequence[str] | None = None,
    timeout: Duration | None = None,
    on_timeout: Any = None,
    metadata: Mapping[str, Any] | None = None,
    url: str | None = None,
    token: str | None = None,
    **options: Any,
) -> T:
    """``ask_human_in_node`` for ``async def`` nodes."""
    position = node_position()
    checkpoint = await create_checkpoint_async(
        task=task, response_model=response_model, resume=resume, payload=payload, payload_model=payload_model,
        notify=notify, assign_to=assign_to, timeout=timeout, on_timeout=on_timeout,
        metadata=_metadata(metadata, position), idempotency_key=question_key(position), url=url, token=token,
        **options,
    )  # fmt: skip
    resumed = interrupt(_interrupt_value(checkpoint, task))
    return outcome_of(_resume_data(resumed, checkpoint.id), response_model).response


# ---------------------------------------------------------------------------------------
# The receiving side, for graphs that run in your own process.


class _Interrupt(Protocol):
    id: str
    value: Any


class _Task(Protocol):
    interrupts: Sequence[_Interrupt]


class _Snapshot(Protocol):
    tasks: Sequence[_Task]


class ResumableGraph(Protocol):
    """The parts of a compiled LangGraph graph the receiver uses; ``StateGraph.compile()`` fits."""

    def invoke(self, input: Any, config: Any) -> Any: ...
    async def ainvoke(self, input: Any, config: Any) -> Any: ...
    def get_state(self, config: Any) -> Any: ...
    def get_state_history(self, config: Any, *, limit: int | None = None) -> Iterable[Any]: ...
    async def aget_state(self, config: Any) -> Any: ...
    def aget_state_history(self, config: Any, *, limit: int | None = None) -> AsyncIterator[Any]: ...


Outcome = Literal["resuming", "already-resumed", "not-interrupted-yet", "invalid-signature", "no-thread"]


@dataclass(frozen=True)
class ReceiverAnswer:
    """Answer the webhook's HTTP request with ``status`` and ``body`` (JSON)."""

    status: int
    outcome: Outcome
    checkpoint_id: str | None = None

    @property
    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"outcome": self.outcome}
        if self.checkpoint_id is not None:
            body["checkpointId"] = self.checkpoint_id
        return body


def _find_interrupt(snapshot: Any, checkpoint_id: str) -> tuple[Any, Any] | None:
    """The (task, interrupt) of a snapshot that asked ``checkpoint_id``, if any."""
    for task in getattr(snapshot, "tasks", ()) or ():
        for pending in getattr(task, "interrupts", ()) or ():
            if interrupt_checkpoint_id(getattr(pending, "value", None)) == checkpoint_id:
                return task, pending
    return None


_Plan = tuple[ReceiverAnswer, "Command[Any] | None", dict[str, Any]]


def _thread_config(event: ResumeEvent) -> dict[str, Any] | None:
    position = event.data.metadata.get("langgraph")
    thread_id = position.get("threadId") if isinstance(position, Mapping) else None
    return {"configurable": {"thread_id": thread_id}} if isinstance(thread_id, str) else None


def _no_thread(event: ResumeEvent) -> _Plan:
    # 410 tells Holdpoint to stop: a checkpoint not asked from a node can never resume one.
    return ReceiverAnswer(410, "no-thread", event.data.checkpoint_id), None, {}


def _decide(event: ResumeEvent, config: dict[str, Any], found: tuple[Any, Any] | None, answered: bool) -> _Plan:
    """What to do with a verified event; the Command when the graph must be resumed."""
    checkpoint_id = event.data.checkpoint_id
    if found is None:
        if answered:
            return ReceiverAnswer(200, "already-resumed", checkpoint_id), None, config
        return ReceiverAnswer(409, "not-interrupted-yet", checkpoint_id), None, config
    task, pending = found
    if getattr(task, "error", None) is not None:
        # This resume already ran and the node raised (reported through on_error); a
        # redelivery must not run the node again.
        return ReceiverAnswer(200, "already-resumed", checkpoint_id), None, config
    value = event.model_dump(mode="json", by_alias=True)
    # Addressed by interrupt id, so a thread paused in parallel nodes resumes the right one.
    resume = {pending.id: value} if getattr(pending, "id", None) else value
    return ReceiverAnswer(202, "resuming", checkpoint_id), Command(resume=resume), config


class LangGraphResumeReceiver:
    """Verifies Holdpoint's resume webhook and resumes the graph thread it names.

    It answers at once (202) and resumes in the background, so a slow graph never makes
    Holdpoint time out and deliver again. Deliveries are deduplicated on the graph's own
    state: one that finds the interrupt already answered gets 200 without touching the
    graph, and one that arrives before the interrupt is saved gets 409, which Holdpoint
    retries with backoff. ``handle`` resumes on a thread with ``graph.invoke``;
    ``handle_async`` on the running event loop with ``graph.ainvoke``.
    """

    def __init__(
        self,
        graph: ResumableGraph,
        secret: str,
        *,
        on_error: Callable[[BaseException, ResumeEvent], None] | None = None,
        history_limit: int = 100,
    ) -> None:
        self.graph = graph
        # Kept private and out of repr: it is the webhook signing secret.
        self._secret = secret
        #: A background resume failed; Holdpoint has its 202 and will not retry, so report it here.
        self.on_error = on_error
        self.history_limit = history_limit
        self._lock = threading.Lock()
        # checkpoint id -> its resume thread (None while the delivery is still being checked)
        self._threads: dict[str, threading.Thread | None] = {}
        # checkpoint id -> its resume task (a bare future while the delivery is still being checked)
        self._tasks: dict[str, asyncio.Future[None]] = {}

    def __repr__(self) -> str:
        return f"LangGraphResumeReceiver(graph={self.graph!r})"

    # -- deciding -------------------------------------------------------------------------

    def _verify(self, headers: WebhookHeaders, body: Body) -> ResumeEvent | ReceiverAnswer:
        try:
            return verify_webhook(self._secret, headers, body)
        except WebhookVerificationError:
            return ReceiverAnswer(401, "invalid-signature")

    def _already_answered(self, config: dict[str, Any], checkpoint_id: str) -> bool:
        return any(
            _find_interrupt(snapshot, checkpoint_id) is not None
            for snapshot in self.graph.get_state_history(config, limit=self.history_limit)
        )

    async def _already_answered_async(self, config: dict[str, Any], checkpoint_id: str) -> bool:
        async for snapshot in self.graph.aget_state_history(config, limit=self.history_limit):
            if _find_interrupt(snapshot, checkpoint_id) is not None:
                return True
        return False

    def _plan(self, event: ResumeEvent) -> _Plan:
        config = _thread_config(event)
        if config is None:
            return _no_thread(event)
        found = _find_interrupt(self.graph.get_state(config), event.data.checkpoint_id)
        answered = found is None and self._already_answered(config, event.data.checkpoint_id)
        return _decide(event, config, found, answered)

    async def _plan_async(self, event: ResumeEvent) -> _Plan:
        # The async state API, so async checkpointers (which refuse sync reads) work too.
        config = _thread_config(event)
        if config is None:
            return _no_thread(event)
        found = _find_interrupt(await self.graph.aget_state(config), event.data.checkpoint_id)
        answered = found is None and await self._already_answered_async(config, event.data.checkpoint_id)
        return _decide(event, config, found, answered)

    def _report(self, error: BaseException, event: ResumeEvent) -> None:
        if self.on_error is not None:
            self.on_error(error, event)

    # -- blocking -------------------------------------------------------------------------

    def handle(self, headers: WebhookHeaders, body: Body) -> ReceiverAnswer:
        """Handles one resume webhook (e.g. from a Flask view) and returns the HTTP answer."""
        verified = self._verify(headers, body)
        if isinstance(verified, ReceiverAnswer):
            return verified
        checkpoint_id = verified.data.checkpoint_id
        with self._lock:
            # Claimed under the lock, so a concurrent duplicate cannot also pass the check.
            if checkpoint_id in self._threads:
                return ReceiverAnswer(202, "resuming", checkpoint_id)
            self._threads[checkpoint_id] = None
        started = False
        try:
            answer, command, config = self._plan(verified)
            if command is not None:
                worker = threading.Thread(
                    target=self._resume, args=(verified, command, config), name=f"holdpoint-resume-{checkpoint_id}"
                )
                with self._lock:
                    self._threads[checkpoint_id] = worker
                worker.start()
                started = True
            return answer
        finally:
            if not started:
                with self._lock:
                    self._threads.pop(checkpoint_id, None)

    def _resume(self, event: ResumeEvent, command: Command[Any], config: dict[str, Any]) -> None:
        try:
            self.graph.invoke(command, config)
        except BaseException as error:  # reported, never raised into a thread nobody joins
            self._report(error, event)
        finally:
            with self._lock:
                self._threads.pop(event.data.checkpoint_id, None)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Blocks until no blocking-mode resume is running (tests, graceful shutdown).
        Returns False if ``timeout`` seconds passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                if not self._threads:
                    return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    # -- asyncio --------------------------------------------------------------------------

    async def handle_async(self, headers: WebhookHeaders, body: Body) -> ReceiverAnswer:
        """Handles one resume webhook from an async framework (FastAPI, Starlette)."""
        verified = self._verify(headers, body)
        if isinstance(verified, ReceiverAnswer):
            return verified
        checkpoint_id = verified.data.checkpoint_id
        if checkpoint_id in self._tasks:
            return ReceiverAnswer(202, "resuming", checkpoint_id)
        # No await between the check above and the claim below: asyncio cannot interleave here.
        claim: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tasks[checkpoint_id] = claim
        try:
            answer, command, config = await self._plan_async(verified)
        except BaseException:
            self._tasks.pop(checkpoint_id, None)
            raise
        finally:
            claim.set_result(None)
        if command is None:
            self._tasks.pop(checkpoint_id, None)
            return answer
        self._tasks[checkpoint_id] = asyncio.create_task(self._resume_async(verified, command, config))
        return answer

    async def _resume_async(self, event: ResumeEvent, command: Command[Any], config: dict[str, Any]) -> None:
        try:
            await self.graph.ainvoke(command, config)
        except Exception as error:
            self._report(error, event)
        finally:
            self._tasks.pop(event.data.checkpoint_id, None)

    async def idle(self) -> None:
        """Settles when no asyncio-mode resume is running."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

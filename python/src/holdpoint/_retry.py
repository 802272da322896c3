"""How the SDK rides out a server that is restarting or briefly unreachable.

Keep retrying with capped, jittered exponential backoff, and give up only after the server
has been unreachable without a break for ``unavailable_after`` seconds. The clock starts at
the first failure of a streak, so a long wait interrupted by a restart does not count the
time the server was healthy. Same policy and defaults as sdk/retry.ts.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from ._flow import Answer, Attempt, Flow, Pause, RetryableFailure
from .errors import HoldpointUnavailableError


@dataclass(frozen=True)
class RetryPolicy:
    initial_delay: float = 0.25
    max_delay: float = 5.0
    #: Continuous failure (seconds) after which HoldpointUnavailableError is raised.
    unavailable_after: float = 300.0


DEFAULT_RETRY_POLICY = RetryPolicy()


def backoff_delay(failures: int, policy: RetryPolicy) -> float:
    """Delay before retry number ``failures`` (0-based): half fixed, half random, so clients spread out."""
    ceiling: float = min(policy.max_delay, policy.initial_delay * 2.0 ** min(failures, 30))
    return ceiling / 2 + random.random() * (ceiling / 2)


@dataclass
class SendStats:
    attempts: int = 0


def send(
    attempt: Attempt, policy: RetryPolicy, checkpoint_id: str | None = None, stats: SendStats | None = None
) -> Flow[Answer]:
    """Performs ``attempt`` until it gets an answer that is not "try again later"."""
    streak_started: float | None = None
    failures = 0
    while True:
        if stats is not None:
            stats.attempts += 1
        try:
            answer: Answer = yield attempt
            return answer
        except RetryableFailure as error:
            now = time.monotonic()
            if streak_started is None:
                streak_started = now
            elapsed = now - streak_started
            remaining = policy.unavailable_after - elapsed
            if remaining <= 0:
                raise HoldpointUnavailableError(elapsed, checkpoint_id=checkpoint_id, status=error.status) from error
            # One last attempt lands right at the deadline rather than overshooting it.
            delay = min(remaining, max(backoff_delay(failures, policy), error.retry_after or 0.0))
            failures += 1
            yield Pause(delay)

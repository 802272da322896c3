"""Agents write timeouts the way people say them ("15m", "1h30m"); the wire carries seconds."""

from __future__ import annotations

import math
import re
from datetime import timedelta

from .errors import InvalidDurationError

_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
_ORDER = "dhms"
_PART = re.compile(r"(\d+)([dhms])")

#: What a ``timeout`` argument may be: whole seconds, a timedelta, or a duration string.
Duration = int | float | timedelta | str


def parse_duration(text: str) -> int:
    """Parses ``"30s"``, ``"15m"``, ``"2h"``, ``"1d"`` or a combination from largest unit to
    smallest (``"1h30m"``) into whole seconds. Zero, negative, fractional, repeated or
    out-of-order units are refused rather than guessed at (same rules as the TS SDK)."""
    if not isinstance(text, str):
        raise InvalidDurationError(text, 'expected a string such as "15m"')
    source = text.strip().lower()
    if source == "":
        raise InvalidDurationError(text, 'empty; expected e.g. "30s", "15m", "2h", "1d" or "1h30m"')
    seconds = 0
    last_rank = -1
    at = 0
    while at < len(source):
        match = _PART.match(source, at)
        if match is None:
            raise InvalidDurationError(
                text, f'unexpected "{source[at:]}"; expected whole numbers with units d, h, m or s, e.g. "1h30m"'
            )
        rank = _ORDER.index(match.group(2))
        if rank <= last_rank:
            raise InvalidDurationError(text, "units must appear once each, largest first (d, h, m, s)")
        last_rank = rank
        seconds += int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        at = match.end()
    if seconds <= 0:
        raise InvalidDurationError(text, "must be longer than zero")
    return seconds


def to_timeout_seconds(timeout: Duration) -> int:
    """A ``timeout`` argument as the whole ``timeoutSeconds`` the server expects."""
    if isinstance(timeout, str):
        return parse_duration(timeout)
    if isinstance(timeout, timedelta):
        seconds: float = timeout.total_seconds()
    elif isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        # bool is an int subclass; `timeout=True` is a mistake, not one second.
        raise InvalidDurationError(timeout, "expected seconds, a timedelta or a string such as '15m'")
    else:
        seconds = float(timeout)
    if not math.isfinite(seconds) or seconds <= 0 or seconds != int(seconds):
        raise InvalidDurationError(timeout, "a timeout is whole seconds greater than zero")
    return int(seconds)

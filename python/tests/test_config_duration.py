"""Connection settings lookup (arguments, environment, dev file) and duration parsing:
the same rules as sdk/config.ts and sdk/duration.ts."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

from holdpoint import (
    DEFAULT_URL,
    HoldpointConfigError,
    InvalidDurationError,
    create_checkpoint,
    parse_duration,
    resolve_config,
)
from holdpoint.duration import to_timeout_seconds
from support.server import Holdpoint


def write_dev_file(directory: Path, **fields: str) -> Path:
    path = directory / ".data" / "dev.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fields))
    return path


def test_arguments_then_environment_then_dev_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write_dev_file(tmp_path, url="http://dev.local:1", apiToken="dev-token")
    assert resolve_config() == resolve_config("http://dev.local:1", "dev-token")
    monkeypatch.setenv("HOLDPOINT_URL", "http://env.local:2/")
    assert resolve_config().url == "http://env.local:2"
    assert resolve_config().token == "dev-token"  # each field from the first source that has it
    monkeypatch.setenv("HOLDPOINT_API_TOKEN", "env-token")
    assert resolve_config().token == "env-token"
    explicit = resolve_config("http://arg.local:3", "arg-token")
    assert (explicit.url, explicit.token) == ("http://arg.local:3", "arg-token")
    assert "arg-token" not in repr(explicit)


def test_dev_file_location_override_and_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(HoldpointConfigError) as caught:
        resolve_config()
    assert caught.value.code == "configuration_error"
    elsewhere = write_dev_file(tmp_path / "elsewhere", apiToken="t")
    monkeypatch.setenv("HOLDPOINT_DEV_FILE", str(elsewhere))
    assert resolve_config().url == DEFAULT_URL
    elsewhere.write_text("[1, 2]")
    with pytest.raises(HoldpointConfigError):
        resolve_config()
    with pytest.raises(HoldpointConfigError):
        resolve_config("not a url", "t")


def test_the_dev_file_reaches_a_real_server(holdpoint: Holdpoint, tmp_path: Path) -> None:
    class Decision(BaseModel):
        approved: bool

    write_dev_file(tmp_path, url=holdpoint.url, apiToken=holdpoint.token)
    assert create_checkpoint(task="Zero configuration", response_model=Decision).state in ("pending", "delivered")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), (" 1D12H ", 129600)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "15", "0s", "1.5h", "30m1h", "1m1m", "-5m", "soon"])
def test_bad_durations(bad: str) -> None:
    with pytest.raises(InvalidDurationError) as caught:
        parse_duration(bad)
    assert caught.value.code == "invalid_duration"


def test_timeout_forms() -> None:
    assert to_timeout_seconds(90) == 90
    assert to_timeout_seconds(timedelta(minutes=2)) == 120
    assert to_timeout_seconds("2s") == 2
    for bad in (0, -1, 1.5, True, timedelta(milliseconds=1500), float("inf")):
        with pytest.raises(InvalidDurationError):
            to_timeout_seconds(bad)  # type: ignore[arg-type]

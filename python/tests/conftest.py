"""Fixtures: one real Holdpoint for the whole session, and a private one for tests that
kill their server. Both run from this checkout against the Redis at $REDIS_URL."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# langchain-core and langgraph-sdk import `langchain_protocol` at import time; where the
# package index lacks it, a types-only stand-in (tests/stubs, see its docstring) lets
# `import langgraph` work. Never used when the real package is installed.
if importlib.util.find_spec("langchain_protocol") is None:
    sys.path.append(str(Path(__file__).parent / "stubs"))

from support.server import Holdpoint, delete_keys, deployment_env


def _started(env: dict[str, str]) -> Holdpoint:
    return Holdpoint(env=env).start()


def _clean_up(server: Holdpoint) -> None:
    server.stop()
    delete_keys(server.env["HOLDPOINT_KEY_PREFIX"])
    shutil.rmtree(server.env["HOLDPOINT_DATA_DIR"], ignore_errors=True)


@pytest.fixture(scope="session")
def holdpoint() -> Iterator[Holdpoint]:
    env = deployment_env()
    server = _started(env)
    try:
        yield server
    finally:
        _clean_up(server)


@pytest.fixture
def private_holdpoint() -> Iterator[Holdpoint]:
    """A deployment of its own, for tests that kill and restart the server."""
    env = deployment_env()
    server = _started(env)
    try:
        yield server
    finally:
        _clean_up(server)


@pytest.fixture(autouse=True)
def _no_ambient_holdpoint_config(monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]) -> None:
    # Tests pass url/token explicitly; a developer's own HOLDPOINT_* or .data/dev.json must
    # not leak in (config tests set what they need themselves).
    for name in ("HOLDPOINT_URL", "HOLDPOINT_API_TOKEN", "HOLDPOINT_DEV_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)

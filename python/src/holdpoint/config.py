"""Where the SDK finds its server and token (the same lookup as sdk/config.ts).

Each field comes from the first source that has it: explicit arguments, then
``HOLDPOINT_URL`` / ``HOLDPOINT_API_TOKEN``, then the file ``npm start`` writes in dev mode
(``<cwd>/.data/dev.json`` or ``$HOLDPOINT_DEV_FILE``), so a local agent works with zero
configuration and production stays explicit.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .errors import HoldpointConfigError

DEFAULT_URL = "http://127.0.0.1:8080"
DEV_FILE_RELATIVE_PATH = ".data/dev.json"


@dataclass(frozen=True)
class ResolvedConfig:
    url: str
    # repr=False: a config printed in a log or traceback must not leak the bearer token.
    token: str = ""

    def __repr__(self) -> str:
        return f"ResolvedConfig(url={self.url!r}, token='***')"


@dataclass(frozen=True)
class DevFile:
    url: str | None = None
    api_token: str | None = None
    webhook_secret: str | None = None


def _non_empty(value: str | None) -> str | None:
    return None if value is None or value.strip() == "" else value.strip()


def _env(name: str) -> str | None:
    return _non_empty(os.environ.get(name))


def dev_file_path() -> Path:
    explicit = _env("HOLDPOINT_DEV_FILE")
    return Path(explicit) if explicit is not None else Path.cwd() / DEV_FILE_RELATIVE_PATH


def read_dev_file(path: Path | None = None) -> DevFile | None:
    """Reads the dev file; ``None`` when there is none. A malformed one is an error, not
    silently ignored: it means the developer's setup is broken in a way worth saying."""
    target = path if path is not None else dev_file_path()
    try:
        text = target.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise HoldpointConfigError(f"Cannot read Holdpoint dev file {target}: {error}") from error
    try:
        parsed = json.loads(text)
    except ValueError as error:
        raise HoldpointConfigError(f"Holdpoint dev file {target} is not valid JSON") from error
    if not isinstance(parsed, dict):
        raise HoldpointConfigError(f"Holdpoint dev file {target} must contain a JSON object")
    fields: dict[str, str | None] = {}
    for key, attr in (("url", "url"), ("apiToken", "api_token"), ("webhookSecret", "webhook_secret")):
        value = parsed.get(key)
        if value is not None and not isinstance(value, str):
            raise HoldpointConfigError(f'Holdpoint dev file {target}: "{key}" must be a string')
        fields[attr] = value
    return DevFile(**fields)


def resolve_config(url: str | None = None, token: str | None = None) -> ResolvedConfig:
    resolved_url = _non_empty(url) or _env("HOLDPOINT_URL")
    resolved_token = _non_empty(token) or _env("HOLDPOINT_API_TOKEN")
    if resolved_url is None or resolved_token is None:
        dev = read_dev_file()
        if dev is not None:
            resolved_url = resolved_url or _non_empty(dev.url)
            resolved_token = resolved_token or _non_empty(dev.api_token)
    if resolved_token is None:
        raise HoldpointConfigError(
            "No Holdpoint API token found. Pass `token`, set HOLDPOINT_API_TOKEN, or start the server in dev mode "
            f"(npm start), which writes {dev_file_path()} (location overridable with HOLDPOINT_DEV_FILE)."
        )
    resolved_url = resolved_url or DEFAULT_URL
    parts = urlsplit(resolved_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HoldpointConfigError(f"Holdpoint URL {resolved_url!r} is not a valid http(s) URL")
    return ResolvedConfig(url=resolved_url.rstrip("/"), token=resolved_token)

"""A real Holdpoint (server + worker) run from this checkout, as its own OS process.

Started the way test/support/spawn-holdpoint.ts does it (``node --import tsx ops/start.ts``
from the repository root), on a free port and a random Redis key prefix, so the tests see
exactly what an agent in production would, and several sessions can share one Redis.
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def deployment_env() -> dict[str, str]:
    """Secrets and prefix one deployment shares across its processes (and restarts)."""
    return {
        "REDIS_URL": REDIS_URL,
        "HOLDPOINT_KEY_PREFIX": f"hptest-py-{secrets.token_hex(6)}",
        "HOLDPOINT_API_TOKENS": f"agent:{secrets.token_urlsafe(18)},ops:{secrets.token_urlsafe(18)}",
        "HOLDPOINT_WEBHOOK_SECRET": "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "HOLDPOINT_SECRET_KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        # Resumes go out fast in tests; receivers listen on 127.0.0.1.
        "HOLDPOINT_RESUME_FIRST_DELAY_MS": "100",
        "HOLDPOINT_JOB_LOCK_MS": "2000",
        "HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS": "true",
        "HOLDPOINT_LOG_LEVEL": "warn",
        "HOLDPOINT_DATA_DIR": tempfile.mkdtemp(prefix="holdpoint-py-"),
    }


@dataclass
class Holdpoint:
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        return self.env["HOLDPOINT_API_TOKENS"].split(",")[0].split(":", 1)[1]

    @property
    def webhook_secret(self) -> str:
        return self.env["HOLDPOINT_WEBHOOK_SECRET"]

    def start(self, ready_within: float = 60.0) -> Holdpoint:
        self.log_path = Path(self.env["HOLDPOINT_DATA_DIR"]) / f"holdpoint-{self.port}.log"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            ["node", "--import", "tsx", "ops/start.ts"],
            cwd=REPO_ROOT,
            env={**os.environ, **self.env, "HOLDPOINT_PORT": str(self.port)},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Holdpoint exited with {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"Holdpoint did not become ready within {ready_within}s:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path and self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no chance to clean up, like a crash or an OOM kill."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def api(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """An authenticated request, the way a service answering on someone's behalf would."""
        return httpx.request(
            method,
            self.url + path,
            json=body,
            headers={"authorization": f"Bearer {self.token}"},
            timeout=10,
        )

    def answer(self, checkpoint_id: str, response: Any, actor: str = "ana") -> httpx.Response:
        return self.api("POST", f"/v1/checkpoints/{checkpoint_id}/response", {"response": response, "actor": actor})

    def newest_checkpoint_id(self, timeout: float = 10.0, not_in: frozenset[str] = frozenset()) -> str:
        """The id of the newest checkpoint, once one exists (the agent creates it concurrently)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            items = self.api("GET", "/v1/checkpoints?limit=1").json().get("items", [])
            if items and items[0]["id"] not in not_in:
                return str(items[0]["id"])
            time.sleep(0.05)
        raise TimeoutError("no checkpoint was created")


def delete_keys(prefix: str) -> None:
    """Removes every key of a test prefix (never FLUSHALL: the Redis is shared), with the
    project's own Redis client so the tests need no Python Redis package."""
    script = (
        "const {Redis}=require('ioredis');const r=new Redis(process.env.REDIS_URL,{maxRetriesPerRequest:1});"
        "(async()=>{let c='0';do{const [n,k]=await r.scan(c,'MATCH',process.env.P+':*','COUNT',1000);c=n;"
        "if(k.length)await r.unlink(...k)}while(c!=='0');r.disconnect()})().catch(()=>{r.disconnect()})"
    )
    subprocess.run(
        ["node", "-e", script],
        cwd=REPO_ROOT,
        env={**os.environ, "REDIS_URL": REDIS_URL, "P": prefix},
        timeout=30,
        check=False,
        capture_output=True,
    )

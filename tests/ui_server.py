"""`make ui` started for a test on a free port, and stopped with everything it started."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium() -> str:
    """Debian's chromium, or the test is skipped saying how to install it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("Debian's chromium is not installed (`make browser` installs it)")
    return found


@contextmanager
def make_ui(cwd: Path, env: dict) -> Iterator[tuple[subprocess.Popen, str]]:
    """Yields the server process and its base URL; the caller waits for what it needs to be served."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        ["make", "-s", "ui"],
        cwd=cwd,
        env={**env, "SOP_UI_PORT": str(port)},
        start_new_session=True,  # its own process group: the webserver and the daemon stop with it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield server, f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)

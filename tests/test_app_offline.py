"""The README's run command on a fresh machine: `python app.py` with no API key.

It must start on the offline engine, summarize an uploaded PDF, and send no request
anywhere but 127.0.0.1 (every connection and DNS look-up is recorded by a wrapper).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
from gradio_client import Client, handle_file

from tests.conftest import REPO
from tests.paperkit import sample_pdf

# Runs app.py as __main__ after wrapping socket.connect and getaddrinfo: any address that is
# not loopback is written to the file named by CONNECTION_LOG.
RECORDER = r"""
import os, runpy, socket
log = os.environ["CONNECTION_LOG"]
LOCAL = ("127.0.0.1", "localhost", "::1", "0.0.0.0", "")
def note(what):
    with open(log, "a") as f:
        f.write(repr(what) + "\n")
real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo
def connect(self, address):
    if isinstance(address, tuple) and address[0] not in LOCAL:
        note(("connect", address))
    return real_connect(self, address)
def getaddrinfo(host, *args, **kwargs):
    if host not in LOCAL and not str(host).startswith("127."):
        note(("dns", host))
    return real_getaddrinfo(host, *args, **kwargs)
socket.socket.connect = connect
socket.getaddrinfo = getaddrinfo
runpy.run_path("app.py", run_name="__main__")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def app_without_key(tmp_path):
    port = free_port()
    log = tmp_path / "connections.log"
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "GEMINI_API_KEY",
            "GOOGLE_API_KEY",
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
            "CHATPAPER_ENGINE",
            "GRADIO_ANALYTICS_ENABLED",
        )
    }
    env.update(
        GRADIO_SERVER_NAME="127.0.0.1",
        GRADIO_SERVER_PORT=str(port),
        CHATPAPER_CACHE_DIR=str(tmp_path / "cache"),
        CONNECTION_LOG=str(log),
    )
    process = subprocess.Popen(
        [sys.executable, "-c", RECORDER],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"app.py exited early:\n{process.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("app.py did not start within 90 s")
    yield url, log
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def test_the_app_runs_offline_with_no_key_and_contacts_nobody(app_without_key, tmp_path):
    url, log = app_without_key
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(sample_pdf("An Offline Paper About Staged Reading"))
    client = Client(url, analytics_enabled=False, verbose=False)
    status, header, tldr, _basic, overview, methods, conclusion, download = client.predict(
        "", handle_file(str(pdf)), "en", None, "", "", False, api_name="/summarize"
    )
    assert "offline" in status
    assert "An Offline Paper About Staged Reading" in header
    assert "without a language model" in header
    assert "**Key Takeaways**" in tldr and "(p. 1)" in tldr
    assert "(4)" in overview and "(1)" in methods and "(4)" in conclusion
    assert download.endswith(".md")
    recorded = log.read_text() if log.exists() else ""
    assert recorded == "", f"requests left the machine:\n{recorded}"

"""The app under load, through gradio_client, with the fake Gemini at a realistic pace.

1. Time until the first model text reaches a gradio_client job, relative to the fake's own
   time to first token (0.8 s): the overhead our reading, queueing and streaming add.
2. 16 concurrent jobs' total wall time relative to one job's, in the same run.

The app runs as its own process (`python app.py`, as in production); the fakes and the
clients run here. All share this machine's cores.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

from _common import fake_gemini_env, free_port, start_app
from gradio_client import Client

from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.stage_replies import gemini_stage_reply
from tests.paperkit import sample_pdf

TTFT = 0.8
JOBS = 16


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of another process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_job(url: str, arxiv_id: str) -> tuple[float, float]:
    """(seconds to first model text, seconds to the end) for one fresh job."""
    client = Client(url, analytics_enabled=False, verbose=False)
    start = time.perf_counter()
    first = None
    job = client.submit(arxiv_id, None, "en", "gemini", "", "", True, api_name="/summarize")
    for output in job:
        if first is None and output[2]:
            first = time.perf_counter() - start
    job.result()
    return first or float("nan"), time.perf_counter() - start



def main() -> None:
    with (
        fake_gemini_env(time_to_first_token=TTFT, chars_per_second=300) as gemini,
        FakeArxiv() as arxiv,
    ):
        gemini.reply_generator = gemini_stage_reply
        for i in range(JOBS + 1):
            title = f"Benchmark Paper Number {i}"
            arxiv.add_paper(f"2401.{10000 + i}", title=title, pdf=sample_pdf(title))
        port = free_port()
        env = dict(
            os.environ,
            GRADIO_SERVER_NAME="127.0.0.1",
            GRADIO_SERVER_PORT=str(port),
            CHATPAPER_ARXIV_API_URL=arxiv.api_url,
            CHATPAPER_ARXIV_PDF_URL=arxiv.pdf_url,
            CHATPAPER_ARXIV_INTERVAL="0",
            CHATPAPER_CONCURRENCY=str(JOBS),
            CHATPAPER_MAX_FIGURES="0",
            CHATPAPER_CACHE_DIR=tempfile.mkdtemp(),
        )
        app = start_app(env, port)
        url = f"http://127.0.0.1:{port}/"
        try:
            run_job(url, "2401.10000")  # warm-up
            singles = [run_job(url, "2401.10000") for _ in range(3)]
            first_text = sorted(s[0] for s in singles)[1]
            one_job = sorted(s[1] for s in singles)[1]

            results: list[tuple[float, float]] = []
            lock = threading.Lock()

            def worker(i: int) -> None:
                result = run_job(url, f"2401.{10001 + i}")
                with lock:
                    results.append(result)

            threads = [threading.Thread(target=worker, args=(i,)) for i in range(JOBS)]
            app_cpu = _process_cpu(app.pid)
            own_cpu = time.process_time()
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            many = time.perf_counter() - start
            app_cpu = _process_cpu(app.pid) - app_cpu
            own_cpu = time.process_time() - own_cpu
        finally:
            app.terminate()
            app.wait(timeout=10)
    firsts = sorted(r[0] for r in results)
    print(
        f"CPU during the {JOBS} jobs: app {app_cpu:.1f} s ({app_cpu / JOBS:.2f} s a job), "
        f"fakes and clients {own_cpu:.1f} s, on {os.cpu_count()} cores"
    )
    print(f"fake time to first token:      {TTFT:.2f} s")
    print(f"first model text via client:   {first_text:.2f} s (ratio {first_text / TTFT:.2f})")
    print(f"one job:                       {one_job:.2f} s")
    print(f"{JOBS} concurrent jobs:           {many:.2f} s (ratio {many / one_job:.2f})")
    print(
        f"  first text under load: median {firsts[len(firsts) // 2]:.2f} s, max {firsts[-1]:.2f} s"
    )


if __name__ == "__main__":
    main()

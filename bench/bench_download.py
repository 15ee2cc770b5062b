"""Download speed and resume cost, against a local server speaking the Hub's
protocol (tests/hub_server.py), compared in the same run with a plain HTTP GET
of the same file. Prints JSON.

Goals: ours / plain >= 0.9; after a cut, bytes sent again <= 1% of the file.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop_llm.core.events import Failed, Finished  # noqa: E402
from desktop_llm.core.models import bundled_starter  # noqa: E402
from desktop_llm.core.models.downloads import download, transfer  # noqa: E402
from desktop_llm.core.models.hub import Hub  # noqa: E402
from tests.hub_server import HubState, LocalHub, ServedFile  # noqa: E402

REPO = "local/test-GGUF"
ROUNDS = 3
SIZE_MB = int(os.environ.get("BENCH_DOWNLOAD_MB", "512"))
GIGABIT = 125_000_000  # bytes per second: a fast home connection


def plain_get(url: str, dest: Path) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url) as response, open(dest, "wb") as out:
        while block := response.read(1 << 20):
            out.write(block)
    return time.perf_counter() - start


def ours(models_dir: Path) -> float:
    shutil.rmtree(models_dir, ignore_errors=True)
    remote = Hub().model(REPO, file="bench.gguf")
    start = time.perf_counter()
    for event in download(remote, models_dir):
        if isinstance(event, Failed):
            raise SystemExit(event.user_message)
    return time.perf_counter() - start


def make_file(work: Path, mb: int) -> Path:
    big = work / "bench.gguf"
    with open(big, "wb") as f:
        f.write(b"GGUF")
        for _ in range(mb):
            f.write(os.urandom(1 << 20))
    return big


def speed_ratio(big: Path, rate: int | None = None) -> dict:
    argv = [sys.executable, "-m", "tests.hub_server", str(big)] + ([str(rate)] if rate else [])
    server = subprocess.Popen(argv, cwd=ROOT,
                              stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        os.environ["HF_ENDPOINT"] = url
        file_url = f"{url}/{REPO}/resolve/main/bench.gguf"
        plain, mine = [], []
        for _ in range(ROUNDS):
            plain.append(plain_get(file_url, big.parent / "plain.bin"))
            mine.append(ours(big.parent / "models"))
    finally:
        server.stdin.close()
        server.wait(10)
    size = big.stat().st_size
    p, m = statistics.median(plain), statistics.median(mine)
    return {"link_bytes_per_s": rate or "unlimited (loopback)", "file_bytes": size,
            "plain_get_s": round(p, 3), "ours_s": round(m, 3),
            "plain_mb_s": round(size / p / 1e6, 1), "ours_mb_s": round(size / m / 1e6, 1),
            "ratio": round(p / m, 3), "goal_ratio": 0.9}


def resume_cost(work: Path) -> dict:
    starter = bundled_starter().path
    state = HubState()
    state.add_repo(REPO, {"bench.gguf": ServedFile(path=starter)})
    size = starter.stat().st_size
    with LocalHub(state) as hub:
        os.environ["HF_ENDPOINT"] = hub.url
        models = work / "resume"
        remote = Hub().model(REPO, file="bench.gguf")
        state.cuts = [size // 2, 0]  # cut, and the one try to connect again is cut too: the run stops
        transfer.RETRY_DELAYS = (0.1,)
        events = list(download(remote, models))
        assert isinstance(events[-1], Failed), events[-1]
        first = state.body_bytes_sent
        events = list(download(remote, models))  # run again, as after a restart
        assert isinstance(events[-1], Finished) and events[-1].result.status == "done"
        second = state.body_bytes_sent - first
    resent = first + second - size
    return {"cut_at_bytes": size // 2, "first_run_bytes": first, "resume_run_bytes": second,
            "resent_bytes": resent, "resent_fraction": round(resent / size, 5), "goal_resent_fraction": 0.01}


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-download-"))
    try:
        big = make_file(work, SIZE_MB)
        report = {
            "bench": "download",
            "note": "ours also computes sha256 and fsyncs every 256 MB or every second; the plain GET does neither",
            "loopback": speed_ratio(big),
            "gigabit_link": speed_ratio(big, GIGABIT),
            "resume": resume_cost(work),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""The installable app, measured (after `make dist`): the bundle's size on disk
(goal <= 450 MB with the 98 MB starter model) and its ten largest parts, the
.deb's and the archive's size, and the time from starting the bundle to its
window on screen (goal <= 2 s; under Xvfb, median of 3, a fresh data folder
each time). Prints one JSON object."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "dist" / "desktop-llm"


def size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) \
        if path.is_dir() else path.stat().st_size


def largest(folder: Path, count: int = 10) -> list[dict]:
    """The biggest files and folders one level inside the bundle's _internal (or the bundle itself)."""
    inside = folder / "_internal" if (folder / "_internal").is_dir() else folder
    parts = [(size(p), p) for p in inside.iterdir() if not p.is_symlink()]  # links point into folders counted
    return [{"part": str(p.relative_to(folder)), "mb": round(n / 2**20, 1)}
            for n, p in sorted(parts, key=lambda item: -item[0])[:count]]


def start_to_window(runs: int = 3) -> dict:
    if not (shutil.which("Xvfb") and shutil.which("xdotool")):
        return {"skipped": "needs Xvfb and xdotool"}
    display = ":97"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24"], stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        times = []
        for _ in range(runs):
            home = tempfile.mkdtemp(prefix="bench-bundle-")
            env = {"PATH": "/usr/bin:/bin", "HOME": home, "DISPLAY": display, "DESKTOP_LLM_HOME": home}
            Path(home, "config").mkdir()
            Path(home, "config", "settings.json").write_text('{"welcome_shown": true}')
            started = time.perf_counter()
            app = subprocess.Popen([str(BUNDLE / "desktop-llm")], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
            found = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name", "desktop-llm"],
                                   env={"DISPLAY": display}, capture_output=True, timeout=60)
            elapsed = time.perf_counter() - started
            app.terminate()
            app.wait(20)
            if found.returncode == 0:
                times.append(elapsed)
        return {"seconds_median": round(statistics.median(times), 2), "runs": [round(t, 2) for t in times],
                "goal_s": 2.0} if times else {"error": "the window never showed"}
    finally:
        xvfb.terminate()
        xvfb.wait(10)


def main() -> None:
    if not (BUNDLE / "desktop-llm").exists():
        raise SystemExit("No bundle: run make dist first.")
    packages = {p.name: round(p.stat().st_size / 2**20, 1) for p in (ROOT / "dist").iterdir()
                if p.suffix in (".deb", ".gz")}
    bundle_mb = round(size(BUNDLE) / 2**20, 1)
    print(json.dumps({"bench": "bundle", "bundle_mb": bundle_mb, "goal_bundle_mb": 450,
                      "largest_parts": largest(BUNDLE), "packages_mb": packages,
                      "start_to_window": start_to_window()}, indent=2))


if __name__ == "__main__":
    os.chdir(ROOT)
    main()

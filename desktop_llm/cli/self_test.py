"""`desktop-llm --self-test`: the checks of core.self_test, then the main window
opened and closed (offscreen when there is no display); one JSON line, exit 0,
or 1 naming what failed. Works the same from a source checkout and a bundle."""

from __future__ import annotations

import json
import os
import sys
import time

from desktop_llm import __version__


def check_window(core) -> str:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop_llm.gui.self_check import open_and_close

    return open_and_close(core)


def run_self_test() -> int:
    from desktop_llm.core.app import AppCore
    from desktop_llm.core.self_test import check_history, check_model, check_resources, run_checks

    started = time.perf_counter()
    core = AppCore()
    try:
        ok, results = run_checks({"resources": check_resources, "history": lambda: check_history(core),
                                  "model": check_model, "window": lambda: check_window(core)})
    finally:
        core.close()
    failed = [name for name, result in results.items() if isinstance(result, dict) and "failed" in result]
    print(json.dumps({"ok": ok, "version": __version__, "checks": results, "failed": failed,
                      "seconds": round(time.perf_counter() - started, 2)}), flush=True)
    return 0 if ok else 1

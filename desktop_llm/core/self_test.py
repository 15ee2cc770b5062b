"""`desktop-llm --self-test`: does this installation work? The resources are
there and parse, the history file opens and is sound, the starter model loads
and writes a few tokens. (The window is checked by the caller, which may use
Qt.) Each check says what failed, so an installer or CI can tell why."""

from __future__ import annotations

import threading
import time
from typing import Callable

from desktop_llm.core.engine import GenerationParams, LlamaCppEngine
from desktop_llm.core.events import Finished
from desktop_llm.core.models import bundled_starter
from desktop_llm.core.models.catalog import load_catalog
from desktop_llm.core.paths import resources_dir


def check_resources() -> str:
    from desktop_llm.core.drafting.templates import load_templates

    for name in ("catalog.json", "icon.svg", "pin.svg"):
        if not (resources_dir() / name).is_file():
            raise RuntimeError(f"{name} is missing from {resources_dir()}")
    return f"{len(load_catalog())} catalog models, {len(load_templates())} templates"


def check_history(core) -> str:
    db = core.history
    with db.locked():
        verdict = db.execute("PRAGMA quick_check").fetchone()[0]
        count = db.execute("SELECT count(*) FROM conversations").fetchone()[0]
    if verdict != "ok":
        raise RuntimeError(f"the history file is damaged: {verdict}")
    return f"{count} conversations, sound"


def check_model() -> dict:
    starter = bundled_starter()
    if starter is None:
        raise RuntimeError("the starter model is missing")
    t0 = time.perf_counter()
    engine = LlamaCppEngine(starter.path, n_ctx=512)
    engine.load()
    try:
        text = ""
        for event in engine.stream_chat([{"role": "user", "content": "Say hello."}],
                                        GenerationParams(max_tokens=8, temperature=0.0), threading.Event()):
            if isinstance(event, Finished):
                text = event.result.text
        if not text.strip():
            raise RuntimeError("the starter model wrote nothing")
        return {"model": starter.name, "device": engine.device_summary, "tokens": text.strip()[:40],
                "seconds": round(time.perf_counter() - t0, 2)}
    finally:
        engine.close()


def run_checks(checks: dict[str, Callable[[], object]]) -> tuple[bool, dict]:
    """Every check, in order; each is "ok"-ish data or the reason it failed."""
    results: dict = {}
    ok = True
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # a self-test reports every failure, whatever it is
            results[name] = {"failed": f"{type(exc).__name__}: {exc}"}
            ok = False
    return ok, results

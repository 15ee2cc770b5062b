"""Regenerate the README screenshots: chat, search, settings, workspace,
documents (summary and side-by-side translation review) and models.

Runs the real app on a throw-away home with the bundled model; the Models
window downloads from the tests' local Hub server (the starter's bytes under
a catalog model's file name, paced like a home connection):
    .venv/bin/python docs/make_screenshots.py [documents]   (only the Documents page)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop_llm.core.app import AppCore  # noqa: E402
from desktop_llm.core.paths import HOME_ENV  # noqa: E402

OUT = Path(__file__).parent


def wait(app, condition, timeout=120):
    t0 = time.monotonic()
    while not condition() and time.monotonic() - t0 < timeout:
        app.processEvents()
        time.sleep(0.01)


def main() -> None:
    app = QApplication([])
    os.environ[HOME_ENV] = tempfile.mkdtemp()
    from desktop_llm.gui.main_window import MainWindow
    from desktop_llm.gui.settings_dialog import SettingsDialog

    core = AppCore()
    core.settings.max_tokens = 200
    core.settings.temperature = 0.3
    history = core.history
    for title in ("Lesson plan: volcanoes", "Product description for a teapot", "Translate the menu"):
        cid = history.create_conversation(first_message=title)
        history.add_message(cid, "assistant", f"Notes about {title.lower()} and tea.")
    window = MainWindow(core)
    window.resize(1100, 720)
    window.show()
    window.start_loading()
    wait(app, lambda: window.model_status.ready)
    if sys.argv[1:] == ["documents"]:
        documents_screenshots(app, window)
        os._exit(0)
    window.new_chat()
    for prompt in ("Write a Python function that reverses a string.", "Now explain it in one sentence."):
        window.input.setPlainText(prompt)
        window.send()
        wait(app, lambda: window.session.job is None)
    for _ in range(20):
        app.processEvents()
    window.grab().save(str(OUT / "screenshot.png"))

    window.sidebar.search_box.setText("tea")
    wait(app, lambda: window.sidebar.search_status.isVisible(), 5)
    window.sidebar._choose_first_hit()
    for _ in range(20):
        app.processEvents()
    window.grab().save(str(OUT / "screenshot-search.png"))

    dialog = SettingsDialog(core.settings, core.registry.installed(), window)
    dialog.show()
    for _ in range(20):
        app.processEvents()
    dialog.grab().save(str(OUT / "screenshot-settings.png"))
    dialog.close()
    workspace_screenshot(app, window)
    documents_screenshots(app, window)
    models_screenshots(app, window)
    print("saved", *sorted(p.name for p in OUT.glob("screenshot*.png")), flush=True)
    os._exit(0)


def workspace_screenshot(app, window) -> None:
    workspace = window.tools.open_workspace()
    workspace.resize(1200, 760)
    workspace.form.select("product-description")
    workspace.form.set_values({"product": "a hand-blown glass teapot, 1 litre",
                               "features": "heat-proof borosilicate glass, stainless steel infuser, dishwasher safe"})
    workspace.form.generate_button.click()
    wait(app, lambda: workspace.job is None and workspace.variants.cards, 120)
    for _ in range(20):
        app.processEvents()
    workspace.grab().save(str(OUT / "screenshot-workspace.png"))
    workspace.close()


CHAPTER = """# Brewing green tea

Green tea is **steeped**, never *boiled*. The [tea guide](https://example.com/tea) explains why.

## What you need

- A warm teapot
- Fresh water
   - Soft water is best
- Loose leaves: one teaspoon per cup

| Tea | Water | Minutes |
| --- | --- | --- |
| Sencha | 75 °C | 2 |
| Gyokuro | 60 °C | 3 |

```python
def steep(minutes):
    return "tea" * minutes
```

Call `steep(2)` for a light cup. Pour slowly and enjoy it while it is warm.
"""


def documents_screenshots(app, window) -> None:
    folder = Path(tempfile.mkdtemp())
    report = folder / "quarterly-report.md"
    report.write_text("\n\n".join(
        f"## Week {i}\n\nThe team reviewed {topic}. Revenue was {1000 + 37 * i} euros and "
        f"{i % 5 + 1} customers wrote about delays; the manager decided to {verb} before the next review."
        for i, (topic, verb) in enumerate(zip(["sales", "hiring", "the new office", "customer support",
                                               "the tea supplier", "shipping"] * 3,
                                              ["hire", "wait", "spend", "save"] * 5), 1)), encoding="utf-8")
    documents = window.tools.open_documents(report)
    documents.resize(1180, 760)
    wait(app, lambda: documents.doc is not None, 30)
    documents.summary_panel.length.setCurrentIndex(documents.summary_panel.length.findData("short"))
    documents.summarize()
    wait(app, lambda: "Writing the summary" in documents.message.plain, 300)
    wait(app, lambda: len(documents.summary_panel.result.toPlainText()) > 120, 60)
    for _ in range(20):
        app.processEvents()
    documents.grab().save(str(OUT / "screenshot-summary.png"))
    wait(app, lambda: documents.job is None, 120)
    chapter = folder / "chapter.md"
    chapter.write_text(CHAPTER, encoding="utf-8")
    documents.open_path(chapter)
    wait(app, lambda: documents.path == chapter, 30)
    panel = documents.translate_panel
    panel.target.setCurrentIndex(panel.target.findData("es"))
    documents.translate()
    wait(app, lambda: documents.job is None, 300)
    panel.review.selectRow(1)
    for _ in range(20):
        app.processEvents()
    documents.grab().save(str(OUT / "screenshot-translation.png"))
    documents.close()


def models_screenshots(app, window) -> None:
    from desktop_llm.core.models import bundled_starter
    from desktop_llm.gui.models.window import CATALOG, DOWNLOADS
    from tests.hub_server import HubState, LocalHub, ServedFile

    state = HubState(rate_limit=6 << 20)
    state.add_repo("bartowski/Qwen2.5-0.5B-Instruct-GGUF",
                   {"Qwen2.5-0.5B-Instruct-Q4_K_M.gguf": ServedFile(path=bundled_starter().path)})
    hub = LocalHub(state).__enter__()
    os.environ["HF_ENDPOINT"] = hub.url
    models = window.models_ui.open(CATALOG)
    models.resize(960, 620)
    wait(app, lambda: models.catalog.list.topLevelItemCount() > 0, 30)
    for _ in range(20):
        app.processEvents()
    models.grab().save(str(OUT / "screenshot-models.png"))
    models.catalog.select("qwen2.5-0.5b")
    models.catalog.download()
    wait(app, lambda: models.tabs.currentIndex() == DOWNLOADS, 30)
    wait(app, lambda: any(r.item.done > 40e6 for r in models.downloads.rows.values()), 60)
    for _ in range(20):
        app.processEvents()
    models.grab().save(str(OUT / "screenshot-downloads.png"))


if __name__ == "__main__":
    main()

"""The app's window, driven headless: finish one short reply, then start a
long one and print STREAMING once some of it is on disk — to be killed.

Usage: gui_until_killed.py CONVERSATION_ID|new
"""

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop_llm.core.app import AppCore  # noqa: E402
from desktop_llm.core.chat import FLUSH_S  # noqa: E402
from desktop_llm.gui.main_window import MainWindow  # noqa: E402


def main() -> None:
    app = QApplication([])
    core = AppCore()
    window = MainWindow(core)
    window.show()
    state = {"phase": "short", "started": 0.0, "tries": 0}
    if sys.argv[1] != "new":
        window.open_conversation(int(sys.argv[1]))
    else:
        window.conversations.apply_settings(None, {"max_tokens": 12, "temperature": 0.0})

    def send(text: str) -> None:
        window.input.setPlainText(text)
        window.send()

    def on_loaded(_loaded) -> None:
        if window.conversation_id is not None:
            core.history.update_conversation(window.conversation_id, max_tokens=12, temperature=0.0)
        send("Name one colour.")

    def on_started(info: dict) -> None:
        state["started"] = time.monotonic()

    def on_finished(result) -> None:
        if state["phase"] == "short":
            print(f"DONE {result.conversation_id} {result.message_id}", flush=True)
            state["phase"] = "long"
            core.history.update_conversation(result.conversation_id, max_tokens=900)
            send("Now write a very long story about a lighthouse, with many chapters.")
        elif state["phase"] == "long":  # ended before anything was flushed: nothing to kill yet
            state["tries"] += 1
            if state["tries"] < 4:  # a small model may stop early on some history: ask again
                print("RETRY", flush=True)  # one more question and reply in the history
                send("Go on: write the next chapters of the lighthouse story, at length.")
                return
            print(f"ENDED EARLY after {len(result.text)} characters", flush=True)
            app.exit(3)

    def on_token(_text: str) -> None:
        if state["phase"] == "long" and time.monotonic() - state["started"] > 3 * FLUSH_S:
            state["phase"] = "streaming"
            print(f"STREAMING {window.conversation_id}", flush=True)

    window.model_status.bridge.finished.connect(on_loaded)
    window.session.bridge.started.connect(on_started)
    window.session.bridge.finished.connect(on_finished)
    window.session.bridge.token.connect(on_token)
    window.start_loading()
    app.exec()


if __name__ == "__main__":
    main()

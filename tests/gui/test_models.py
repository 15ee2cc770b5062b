"""The Models window with real widgets, the real starter model and the
local Hub server: catalog, search, downloads, installed models, welcome."""

import shutil

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QDialog, QMessageBox

from desktop_llm.core.models import hub_token
from desktop_llm.core.models.download_queue import DownloadState as S
from desktop_llm.gui.models.window import CATALOG, DOWNLOADS, INSTALLED, SEARCH
from desktop_llm.gui.settings_dialog import SettingsDialog
from tests.conftest import set_settings
from tests.gui.helpers import WAIT_MS, answer_message_box, loaded
from tests.gui.test_access import unnamed_controls

REPO = "test-org/SmolLM2-135M-Instruct-GGUF"
SLOW = 20 << 20  # bytes per second: the starter takes about five seconds


def open_models(qtbot, window, view=CATALOG):
    models = window.models_ui.open(view)
    qtbot.waitUntil(lambda: models.catalog.list.topLevelItemCount() > 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: models.installed.list.topLevelItemCount() > 0, timeout=WAIT_MS)
    return models


def row_of(models, status=None):
    rows = list(models.downloads.rows.values())
    return next((r for r in rows if status is None or r.item.status == status), None)


def catalog_texts(models, column):
    view = models.catalog.list
    return [view.topLevelItem(i).text(column) for i in range(view.topLevelItemCount())]


def search(qtbot, models, text):
    models.show_view(SEARCH)
    models.search.query.setText(text)
    qtbot.keyClick(models.search.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: models.search.repos.topLevelItemCount() > 0 or "No GGUF" in models.search.message.plain,
                    timeout=WAIT_MS)


def choose_repo(qtbot, models, repo):
    view = models.search.repos
    item = next(view.topLevelItem(i) for i in range(view.topLevelItemCount()) if view.topLevelItem(i).text(0) == repo)
    view.setCurrentItem(item)
    qtbot.waitUntil(lambda: models.search.files.topLevelItemCount() > 0, timeout=WAIT_MS)


def test_catalog_shows_every_model_with_a_fit_badge_and_a_recommendation(qtbot, make_window, hub):
    window = make_window()
    models = open_models(qtbot, window)
    names = catalog_texts(models, 0)
    assert len(names) == 15 and sum(t.endswith("For libraries") for t in names) == 3  # the embedding models
    assert all(t.startswith(("Fits", "Too large")) for t in catalog_texts(models, 2))
    [recommended] = [t for t in catalog_texts(models, 0) if "★ Recommended" in t]
    assert models.catalog.selected().name in recommended  # selected first
    assert "This computer:" in models.catalog.computer.text() and "CPU cores" in models.catalog.computer.text()
    before = models.catalog.details.text()
    models.catalog.quant.setCurrentText("Q8_0")
    assert "Q8_0: about" in models.catalog.details.text() and models.catalog.details.text() != before
    assert unnamed_controls(models) == []
    assert hub.state.requests == []  # browsing the catalog asks the Hub nothing


def test_download_from_the_catalog_then_use_the_model(qtbot, make_window, hub, starter):
    hub.state.rate_limit = SLOW
    window = loaded(qtbot, make_window())
    models = open_models(qtbot, window)
    models.catalog.select("qwen2.5-0.5b")
    qtbot.mouseClick(models.catalog.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: models.tabs.currentIndex() == DOWNLOADS, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: row_of(models, S.RUNNING) is not None and row_of(models).item.done > 0, timeout=WAIT_MS)
    row = row_of(models)
    assert row.pause_button.isVisible() and row.cancel_button.isVisible() and not row.use_button.isVisible()
    assert " of " in row.status.text() and "/s" in row.status.text()  # bytes, speed (and time left)
    qtbot.waitUntil(lambda: window.models_ui.download_button.isVisible(), timeout=WAIT_MS)
    assert "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf" in window.models_ui.download_button.text()
    qtbot.waitUntil(lambda: row.item.status == S.DONE, timeout=WAIT_MS)
    assert not window.models_ui.download_button.isVisible()
    assert "Downloaded Qwen2.5-0.5B-Instruct-Q4_K_M.gguf" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: any("✓ Installed" in t for t in catalog_texts(models, 0)), timeout=WAIT_MS)
    qtbot.mouseClick(row.use_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model_status.ready and window.model.name == "Qwen2.5-0.5B-Instruct-Q4_K_M",
                    timeout=WAIT_MS)
    assert window.core.settings.default_model == "Qwen2.5-0.5B-Instruct-Q4_K_M"
    assert row.item.path.read_bytes() == starter.path.read_bytes()


def test_pause_resume_and_cancel_from_the_downloads_view(qtbot, make_window, hub):
    hub.state.rate_limit = SLOW
    window = make_window()
    models = open_models(qtbot, window)
    search(qtbot, models, "SmolLM2")
    choose_repo(qtbot, models, REPO)
    qtbot.mouseClick(models.search.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row_of(models, S.RUNNING) is not None and row_of(models).item.done > 0, timeout=WAIT_MS)
    row = row_of(models)
    qtbot.mouseClick(row.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.item.status == S.PAUSED, timeout=WAIT_MS)
    assert row.resume_button.isVisible() and not row.pause_button.isVisible()
    assert "Paused at" in row.status.text()
    kept = row.item.done
    qtbot.mouseClick(row.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.item.status == S.RUNNING and row.item.done > kept, timeout=WAIT_MS)
    qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.item.status == S.CANCELLED, timeout=WAIT_MS)
    assert not list(window.core.models.models_dir.rglob("*.part*"))
    qtbot.mouseClick(models.downloads.clear_button, Qt.MouseButton.LeftButton)
    assert models.downloads.rows == {} and models.downloads.empty.isVisibleTo(models.downloads)


def test_a_download_paused_in_a_previous_session_is_listed_and_resumes(qtbot, make_window, hub, app_home):
    hub.state.rate_limit = SLOW
    window = make_window()
    models = open_models(qtbot, window)
    search(qtbot, models, "SmolLM2")
    choose_repo(qtbot, models, REPO)
    models.search.download()
    qtbot.waitUntil(lambda: row_of(models, S.RUNNING) is not None and row_of(models).item.done > 0, timeout=WAIT_MS)
    window.close()
    window.core.close()  # quitting pauses it
    hub.state.rate_limit = None
    window = make_window()
    qtbot.waitUntil(lambda: window.core.downloads.items() != [], timeout=WAIT_MS)
    models = open_models(qtbot, window, DOWNLOADS)
    row = row_of(models)
    assert row.item.status == S.PAUSED and row.resume_button.isVisible()
    qtbot.mouseClick(row.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.item.status == S.DONE, timeout=WAIT_MS)


def test_search_lists_repos_and_files_with_split_models_as_one(qtbot, make_window, hub, starter):
    window = make_window()
    models = open_models(qtbot, window)
    search(qtbot, models, "test-org")
    repos = [models.search.repos.topLevelItem(i).text(0) for i in range(models.search.repos.topLevelItemCount())]
    assert repos == [REPO, "test-org/Gated-GGUF", "test-org/Tiny-Split-GGUF", "test-org/Huge-GGUF"]
    assert models.search.repos.topLevelItem(1).text(3).startswith("Gated")
    choose_repo(qtbot, models, "test-org/Tiny-Split-GGUF")
    [item] = [models.search.files.topLevelItem(i) for i in range(models.search.files.topLevelItemCount())]
    assert item.text(0) == "tiny-Q4_1.gguf  (2 parts)" and item.text(2) == "Q4_1"
    assert item.text(3).startswith("Fits")
    choose_repo(qtbot, models, "test-org/Huge-GGUF")
    assert models.search.files.topLevelItem(0).text(3).startswith("Too large")
    seen = []
    answer_message_box(qtbot, seen, QMessageBox.StandardButton.Cancel)
    models.search.download()
    assert seen and "Download it anyway?" in seen[0]
    assert window.core.downloads.items() == []
    search(qtbot, models, "no such words")  # nothing found is said, not an empty list
    assert "No GGUF repositories match “no such words”" in models.search.message.plain


def test_a_gated_model_fails_with_its_page_and_retry_works_with_a_token(qtbot, make_window, hub, monkeypatch):
    window = make_window()
    models = open_models(qtbot, window)
    search(qtbot, models, "Gated")
    choose_repo(qtbot, models, "test-org/Gated-GGUF")
    models.search.download()
    qtbot.waitUntil(lambda: row_of(models, S.FAILED) is not None, timeout=WAIT_MS)
    row = row_of(models)
    assert "needs permission" in row.message.plain and f"{hub.url}/test-org/Gated-GGUF" in row.message.plain
    assert f'href="{hub.url}/test-org/Gated-GGUF"' in row.message.text()  # a link to accept the license
    assert row.resume_button.text() == "Retry"
    hub_token.set_token(hub.state.token)  # as the Settings dialog does
    qtbot.mouseClick(row.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.item.status == S.DONE, timeout=WAIT_MS)


def test_offline_mode_turns_search_off_and_the_catalog_still_browses(qtbot, make_window, hub, app_home):
    set_settings(app_home, offline=True)
    window = make_window()
    models = open_models(qtbot, window)
    assert not models.search.query.isEnabled() and "Offline mode is on" in models.search.message.plain
    assert len(catalog_texts(models, 0)) == 15
    models.catalog.download()
    qtbot.waitUntil(lambda: "Offline mode is on" in models.catalog.message.plain, timeout=WAIT_MS)
    assert hub.state.requests == []


def test_import_refuses_a_broken_file_and_adds_a_good_one(qtbot, make_window, tmp_path, starter):
    window = make_window()
    models = open_models(qtbot, window, INSTALLED)
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(starter.path.read_bytes()[:3_000_000])  # a download cut short
    models.installed.import_file(str(broken))
    qtbot.waitUntil(lambda: "was not imported" in models.installed.message.plain, timeout=WAIT_MS)
    assert models.installed.import_button.isEnabled()
    good = tmp_path / "my-model.gguf"
    shutil.copy(starter.path, good)
    models.installed.import_file(str(good))
    qtbot.waitUntil(lambda: "Imported my-model" in models.installed.message.plain, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: models.installed.selected() is not None
                    and models.installed.selected().model.name == "my-model", timeout=WAIT_MS)
    details = models.installed.details.text()
    assert "llama" in details and "135M" in details and "Q4_1" in details and "chat template: yes" in details
    assert "Imported file" in models.installed.list.currentItem().text(1)
    seen = []
    answer_message_box(qtbot, seen, QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(models.installed.remove_button, Qt.MouseButton.LeftButton)
    assert "the file stays where it is" in seen[0]
    qtbot.waitUntil(lambda: all(r.model.name != "my-model" for r in models.installed.rows), timeout=WAIT_MS)
    assert good.exists()  # the user's own file is only forgotten


def test_the_starter_cannot_be_removed_and_can_be_chosen(qtbot, make_window):
    window = make_window()
    models = open_models(qtbot, window, INSTALLED)
    row = models.installed.selected()
    assert row.model.bundled and "★ default" in models.installed.list.currentItem().text(0)
    assert not models.installed.remove_button.isEnabled() and models.installed.use_button.isEnabled()


def test_measure_speed_reports_what_this_computer_does_with_the_model(qtbot, make_window):
    window = make_window()
    installed = open_models(qtbot, window, INSTALLED).installed
    assert installed.measure_button.isEnabled() and installed.measure_button.text() == "Measure &speed"
    qtbot.mouseClick(installed.measure_button, Qt.MouseButton.LeftButton)
    assert installed.measure_button.text() == "Stop &measuring"
    qtbot.waitUntil(lambda: "tokens/s" in installed.message.plain, timeout=WAIT_MS)
    said = installed.message.plain
    assert "SmolLM2" in said and "reads a prompt at" in said and "first word after" in said and "writes" in said
    assert installed.measure_button.text() == "Measure &speed"


def test_dropping_a_gguf_on_the_main_window_imports_it(qtbot, make_window, tmp_path, starter):
    window = make_window()
    good = tmp_path / "dropped.gguf"
    shutil.copy(starter.path, good)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(good)), QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    models = window.models_ui.models_window
    assert models.tabs.currentIndex() == INSTALLED
    qtbot.waitUntil(lambda: "Imported dropped" in models.installed.message.plain, timeout=WAIT_MS)
    assert [m.name for m in window.core.registry.installed() if m.source == "imported"] == ["dropped"]


def test_first_run_welcome_offers_the_recommended_model_once(qtbot, make_window, hub, app_home):
    window = make_window()
    window.input.setFocus()
    window.models_ui.maybe_welcome()
    welcome = window.models_ui.welcome
    assert welcome.isVisible() and not welcome.isModal()
    qtbot.keyClicks(window.input, "hello")  # typed at once: it reaches the message box
    assert window.input.toPlainText() == "hello" and window.models_ui.models_window is None
    qtbot.keyClick(welcome, Qt.Key.Key_Return)  # Enter in the Welcome is "Not now", never the download
    assert welcome.result() == QDialog.DialogCode.Rejected and not welcome.isVisible()
    assert window.models_ui.models_window is None
    assert window.core.settings.welcome_shown
    assert '"welcome_shown": true' in (app_home / "config" / "settings.json").read_text()
    window.models_ui.welcome = None
    window.models_ui.maybe_welcome()  # seen once: not again
    assert window.models_ui.welcome is None


def test_welcome_download_starts_the_recommended_model(qtbot, make_window, hub, app_home):
    window = make_window()
    window.models_ui.maybe_welcome()
    qtbot.mouseClick(window.models_ui.welcome.download, Qt.MouseButton.LeftButton)
    models = window.models_ui.models_window
    qtbot.waitUntil(lambda: models.tabs.currentIndex() == DOWNLOADS or models.catalog.message.plain.startswith(
        "No model repository"), timeout=WAIT_MS)
    recommended = window.core.models.recommend()
    assert f"Download {recommended.name}" in window.models_ui.welcome.download.text()
    # The local Hub serves only Qwen2.5 0.5B of the catalog; whichever was recommended was asked for.
    assert any(f"/api/models/{recommended.repo}" in r for r in hub.state.requests)


def test_settings_store_offline_gpu_mode_and_the_token(qtbot, make_window):
    window = make_window()
    dialog = SettingsDialog(window.core.settings, window.core.registry.installed(), window)
    qtbot.addWidget(dialog)
    assert not dialog.gpu_layers.isEnabled()
    dialog.gpu_mode.setCurrentIndex(dialog.gpu_mode.findData("manual"))
    assert dialog.gpu_layers.isEnabled()
    dialog.gpu_layers.setValue(12)
    dialog.offline.setChecked(True)
    dialog.kv_cache.setCurrentIndex(dialog.kv_cache.findData("q8_0"))
    dialog.n_batch.setValue(256)
    assert dialog.threads.text().startswith("Auto")  # 0: one thread per core
    dialog.threads.setValue(1)
    dialog.token.setText("hf_secret")
    window.settings_ui.apply(dialog.result_settings())
    seen = []
    answer_message_box(qtbot, seen)
    window.settings_ui.apply_token(dialog.token_change())
    settings_file = window.core.paths.settings_file.read_text()
    assert '"offline": true' in settings_file and '"gpu_mode": "manual"' in settings_file
    assert '"kv_cache_type": "q8_0"' in settings_file and '"n_batch": 256' in settings_file
    assert window.core.engine_config().options.uses_flash_attn  # the model loads with it next time
    assert '"n_threads": 1' in settings_file and window.core.engine_config().n_threads == 1
    assert "hf_secret" not in settings_file  # never in plain settings
    assert seen and "kept only until you quit" in seen[0]  # no keyring in tests: said so
    assert hub_token.get_token() == "hf_secret"
    again = SettingsDialog(window.core.settings, [], window, has_token=True)
    qtbot.addWidget(again)
    assert "A token is stored" in again.token.placeholderText()
    qtbot.mouseClick(again.forget_token, Qt.MouseButton.LeftButton)
    assert again.token_change() == ""
    window.settings_ui.apply_token(again.token_change())
    assert hub_token.get_token() is None

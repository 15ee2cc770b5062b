"""Search view: any GGUF repository on the Hugging Face Hub, its files with
size, quantization and fit."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QSplitter, QTreeWidgetItem, QVBoxLayout, QWidget

from desktop_llm.core.models import fit
from desktop_llm.core.models.hardware import Hardware
from desktop_llm.core.models.hub import OFFLINE_MESSAGE, RemoteModel, RepoHit
from desktop_llm.core.units import format_size
from desktop_llm.gui.common.background import Background
from desktop_llm.gui.common.widgets import MessageLine, button, named, tree
from desktop_llm.gui.models.catalog import DownloadRequest, fit_item_text

ROLE = Qt.ItemDataRole.UserRole


class SearchView(QWidget):
    download_requested = Signal(object)  # DownloadRequest

    def __init__(self, manager, background: Background, parent=None):
        super().__init__(parent)
        self.manager = manager
        self.background = background
        self.hardware: Hardware | None = None
        self.n_ctx = 4096
        self._tickets: dict[str, int] = {}
        self._models: list[RemoteModel] = []
        self.query = named(QLineEdit(), "Search the Hub",
                           "Words in the repository name, e.g. qwen, llama 3.2, mistral (Enter searches)")
        self.query.setPlaceholderText("Search the Hugging Face Hub for GGUF models, e.g. qwen")
        self.query.setClearButtonEnabled(True)
        self.query.returnPressed.connect(self.search)
        self.search_button = button("&Search", "Search GGUF repositories, most downloaded first", self.search)
        self.repos = tree("Repositories", "GGUF repositories, most downloaded first",
                          ["Repository", "Downloads", "Likes", "Access"])
        self.repos.currentItemChanged.connect(self._open_repo)
        self.files = tree("Files", "The repository's models: size, quantization and fit",
                          ["File", "Size", "Quantization", "On this computer"])
        self.download_button = button("&Download", "Download the chosen file (Enter)", self.download)
        self.download_button.setEnabled(False)
        self.files.itemActivated.connect(lambda *_: self.download())
        self.files.currentItemChanged.connect(lambda *_: self.download_button.setEnabled(self._chosen() is not None))
        self.message = MessageLine()
        top = QHBoxLayout()
        top.addWidget(self.query, 1)
        top.addWidget(self.search_button)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.repos)
        split.addWidget(self.files)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.download_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addWidget(self.message)
        layout.addLayout(bottom)

    def set_offline(self, offline: bool) -> None:
        for w in (self.query, self.search_button):
            w.setEnabled(not offline)
        self.message.say(OFFLINE_MESSAGE if offline else "")

    # -- search -----------------------------------------------------------------------
    def search(self) -> None:
        text = self.query.text()
        self.message.say("Searching…")
        self.repos.clear()
        self.files.clear()
        self._tickets["files"] = self._tickets.get("files", 0) + 1  # a repo still loading is dropped
        self._run_latest("search", lambda: self.manager.hub().search(text), self._show_hits)

    def _run_latest(self, kind: str, work, on_done) -> None:
        """Run `work` in the background; only the newest request of a kind is shown."""
        self._tickets[kind] = ticket = self._tickets.get(kind, 0) + 1

        def latest(show):
            return lambda value: show(value) if self._tickets[kind] == ticket else None

        self.background.run(work, latest(on_done), latest(self._failed))

    def _show_hits(self, hits: list[RepoHit]) -> None:
        self.repos.clear()
        for hit in hits:
            item = QTreeWidgetItem([hit.repo, f"{hit.downloads:,}", f"{hit.likes:,}",
                                    "Gated: accept its license" if hit.gated else "Open"])
            item.setData(0, ROLE, hit.repo)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight)
            self.repos.addTopLevelItem(item)
        self.repos.resizeColumnToContents(0)
        self.message.say("" if hits else f"No GGUF repositories match “{self.query.text()}”.")

    def _failed(self, message: str) -> None:
        self.message.say(message, error=True)

    # -- a repository's files -------------------------------------------------------------
    def _open_repo(self, item: QTreeWidgetItem | None, _previous=None) -> None:
        self.files.clear()
        self._models = []
        self.download_button.setEnabled(False)
        if item is None:
            return
        repo = item.data(0, ROLE)
        self.message.say(f"Reading the files of {repo}…")
        self._run_latest("files", lambda: self.manager.hub().models(repo), self._show_files)

    def _show_files(self, models: list[RemoteModel]) -> None:
        self.message.clear_message()
        self._models = models
        for index, m in enumerate(models):
            name = m.name + (f"  ({len(m.parts)} parts)" if len(m.parts) > 1 else "")
            item = QTreeWidgetItem([name, format_size(m.size), m.quant or "?", ""])
            item.setData(0, ROLE, index)
            item.setToolTip(0, "\n".join(p.name for p in m.parts))
            if self.hardware is not None:
                fit_item_text(item, 3, fit.estimate_file(m.size, self.n_ctx, self.hardware))
            self.files.addTopLevelItem(item)
        self.files.resizeColumnToContents(0)
        preferred = next((i for i, m in enumerate(models) if m.quant == "Q4_K_M"), 0)
        current = self.files.topLevelItem(preferred) if models else None
        if current is not None:
            self.files.setCurrentItem(current)

    def _chosen(self) -> RemoteModel | None:
        item = self.files.currentItem()
        return None if item is None else self._models[item.data(0, ROLE)]

    def download(self) -> None:
        model = self._chosen()
        if model is None:
            return
        known = fit.estimate_file(model.size, self.n_ctx, self.hardware) if self.hardware else None
        self.download_requested.emit(DownloadRequest(model.repo, model.parts[0].name, None, model.name, known))

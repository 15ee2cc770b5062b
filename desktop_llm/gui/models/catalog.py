"""Catalog view: the curated models with an honest "fits this computer" badge."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTreeWidgetItem, QVBoxLayout, QWidget

from desktop_llm.core.models import fit
from desktop_llm.core.models.catalog import CatalogEntry
from desktop_llm.core.models.hardware import Hardware
from desktop_llm.core.models.manager import CatalogRow
from desktop_llm.core.units import format_size
from desktop_llm.gui.common.theme import tone
from desktop_llm.gui.common.widgets import MessageLine, button, named, tree

FIT_TONES = {"fits": "success", "gpu": "info", "tight": "warning", "too_large": "error"}


def fit_item_text(item: QTreeWidgetItem, column: int, verdict: fit.Fit) -> None:
    item.setText(column, verdict.text)
    item.setForeground(column, QColor(tone(FIT_TONES[verdict.verdict])))


@dataclass(frozen=True)
class DownloadRequest:
    """What the user asked to download: a catalog id or repo, and a file or quantization."""

    key: str
    file: str | None
    quant: str | None
    title: str  # for messages
    fit: fit.Fit | None


def describe_computer(hw: Hardware) -> str:
    gpu = hw.gpu
    if gpu is None:
        graphics = "no GPU found: models run on the CPU"
    elif hw.gpu_offload_supported:
        graphics = f"{gpu.name} with {format_size(gpu.free_vram)} free"
    else:
        graphics = f"{gpu.name} (not used by this build)"
    return (f"This computer: {format_size(hw.total_ram)} of memory, {format_size(hw.available_ram)} free · "
            f"{hw.cpu_cores} CPU cores · {graphics}. Badges assume the context size from Settings.")


class CatalogView(QWidget):
    download_requested = Signal(object)  # DownloadRequest

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[CatalogRow] = []
        self.hardware: Hardware | None = None
        self.n_ctx = 4096
        self.kv_bytes = 2.0  # bytes per value of the KV cache type in the settings
        self.computer = QLabel("Checking this computer…")
        self.computer.setWordWrap(True)
        self.list = tree("Catalog", "Open models chosen for writing and translation",
                         ["Model", "Download", "On this computer", "Good for"])
        self.list.currentItemChanged.connect(self._show_details)
        self.list.itemActivated.connect(lambda *_: self.download())
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setOpenExternalLinks(True)
        self.quant = named(QComboBox(), "Quantization",
                           "Smaller files (Q4_K_M) run faster; larger ones (Q8_0) are a little more accurate")
        self.quant.currentIndexChanged.connect(self._show_details)
        self.download_button = button("&Download", "Download the chosen model (Enter)", self.download)
        self.message = MessageLine()
        row = QHBoxLayout()
        row.addWidget(QLabel("&Quantization:", buddy=self.quant))
        row.addWidget(self.quant)
        row.addStretch(1)
        row.addWidget(self.download_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.computer)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.details)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.download_button.setEnabled(False)

    def set_rows(self, rows: list[CatalogRow], recommended: CatalogEntry | None, hw: Hardware,
                 n_ctx: int, kv_bytes: float = 2.0) -> None:
        self.rows, self.hardware, self.n_ctx, self.kv_bytes = rows, hw, n_ctx, kv_bytes
        self.computer.setText(describe_computer(hw))
        self.list.clear()
        for row in rows:
            e = row.entry
            marks = (["★ Recommended"] if recommended and e.id == recommended.id else []) + \
                (["✓ Installed"] if row.installed else []) + (["For libraries"] if e.kind == "embedding" else [])
            item = QTreeWidgetItem([f"{e.name}  {'  '.join(marks)}".strip(),
                                    f"≈ {format_size(e.estimated_size())}", "", e.good_for])
            fit_item_text(item, 2, row.fit)
            item.setData(0, Qt.ItemDataRole.UserRole, e.id)
            item.setToolTip(0, f"{e.repo} · {e.parameters} parameters")
            item.setToolTip(3, e.good_for)
            self.list.addTopLevelItem(item)
        for column in range(3):
            self.list.resizeColumnToContents(column)
        start = next((i for i, r in enumerate(rows) if recommended and r.entry.id == recommended.id), 0)
        if rows:
            self.list.setCurrentItem(self.list.topLevelItem(start))

    def selected(self) -> CatalogEntry | None:
        item = self.list.currentItem()
        if item is None:
            return None
        entry_id = item.data(0, Qt.ItemDataRole.UserRole)
        return next((r.entry for r in self.rows if r.entry.id == entry_id), None)

    def select(self, entry_id: str) -> None:
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == entry_id:
                self.list.setCurrentItem(item)

    def fit_of(self, entry: CatalogEntry, quant: str) -> fit.Fit:
        if self.hardware is None:  # entries are listed by set_rows(), which gives the hardware
            raise RuntimeError("the catalog has no rows yet")
        return fit.estimate_entry(entry, self.n_ctx, self.hardware, quant, self.kv_bytes)

    def _show_details(self, *_) -> None:
        entry = self.selected()
        self.download_button.setEnabled(entry is not None)
        if entry is None:
            return
        if sorted(entry.files) != sorted(self.quant.itemText(i) for i in range(self.quant.count())):
            self.quant.blockSignals(True)
            self.quant.clear()
            self.quant.addItems(list(entry.files))
            self.quant.setCurrentText(entry.default_quant)
            self.quant.blockSignals(False)
        quant = self.quant.currentText() or entry.default_quant
        verdict = self.fit_of(entry, quant)
        colour = tone(FIT_TONES[verdict.verdict])
        self.details.setText(
            f"<b>{entry.name}</b> · {entry.parameters} parameters · context {entry.context_length:,} tokens"
            f" · license {entry.license} · languages: {', '.join(entry.languages)}<br>"
            f"{entry.good_for}<br>{quant}: about {format_size(entry.estimated_size(quant))} · "
            f'<span style="color:{colour}">{verdict.text}</span> with a context of {self.n_ctx:,} tokens'
        )

    def download(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        quant = self.quant.currentText() or entry.default_quant
        self.download_requested.emit(DownloadRequest(entry.id, None, quant, f"{entry.name} {quant}",
                                                     self.fit_of(entry, quant)))

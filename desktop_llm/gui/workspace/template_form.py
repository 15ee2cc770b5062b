"""The side panel's template form: pick a template, fill its fields, choose
the libraries its facts come from and how many variants, Generate."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.core.drafting.templates import Field, Template
from desktop_llm.gui.common.widgets import button, named


class TemplateForm(QWidget):
    generate_requested = Signal(object, dict, int)  # template, values, variants
    stop_requested = Signal()
    edit_template_requested = Signal(object)  # the template to start from

    def __init__(self, templates: dict[str, Template], parent=None):
        super().__init__(parent)
        self.templates = templates
        self.inputs: dict[str, QWidget] = {}
        self.choose = named(QComboBox(), "Template", "What to write: each template has its own fields")
        self.choose.currentIndexChanged.connect(self._build_fields)
        self.description = QLabel("")
        self.description.setWordWrap(True)
        self.fields = QFormLayout()
        self.variants = named(QSpinBox(), "Variants", "How many versions to write, side by side")
        self.generate_button = button("&Generate", "Write with this template (Ctrl+Enter)",
                                      lambda: self.generate_requested.emit(self.template(), self.values(),
                                                                           self.variants.value()))
        self.stop_button = button("Stop", "Stop writing (Esc)", self.stop_requested.emit)
        self.stop_button.setEnabled(False)
        self.edit_button = button("Edit template…", "Change this template or make your own from it",
                                  lambda: self.edit_template_requested.emit(self.template()))
        self.facts = QHBoxLayout()  # where the window puts its library choice
        row = QHBoxLayout()
        row.addWidget(QLabel("Variants:"))
        row.addWidget(self.variants)
        row.addStretch(1)
        row.addWidget(self.stop_button)
        row.addWidget(self.generate_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.choose)
        layout.addWidget(self.description)
        layout.addLayout(self.fields)
        layout.addLayout(self.facts)
        layout.addLayout(row)
        layout.addWidget(self.edit_button)
        layout.addStretch(1)
        self.set_templates(templates)

    def set_templates(self, templates: dict[str, Template], current: str | None = None) -> None:
        current = current or (self.template().id if self.choose.count() else "blog-outline")
        self.templates = templates
        self.choose.blockSignals(True)
        self.choose.clear()
        for t in templates.values():
            self.choose.addItem(t.title + ("  (yours)" if t.source == "user" else ""), t.id)
        self.choose.setCurrentIndex(max(0, self.choose.findData(current)))
        self.choose.blockSignals(False)
        self._build_fields()

    def template(self) -> Template:
        return self.templates[self.choose.currentData()]

    def select(self, template_id: str) -> None:
        self.choose.setCurrentIndex(max(0, self.choose.findData(template_id)))

    def _build_fields(self) -> None:
        while self.fields.rowCount():
            self.fields.removeRow(0)
        self.inputs = {}
        t = self.template()
        self.description.setText(t.description)
        for f in t.fields:
            widget = self._input_for(f)
            self.inputs[f.name] = widget
            self.fields.addRow(f.label + ("*" if f.required else "") + ":", widget)
        out = t.output
        self.variants.setRange(1, out.max_variants)
        self.variants.setValue(out.variants)

    def _input_for(self, f: Field) -> QWidget:
        tip = f"{f.label}{' (required)' if f.required else ''}"
        if f.choices:
            box = named(QComboBox(), f.label, tip)
            box.addItems(list(f.choices))
            box.setCurrentText(f.default or f.choices[0])
            return box
        if f.multiline:
            edit = named(QPlainTextEdit(), f.label, tip)
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(70)
            edit.setPlaceholderText(f.default)
            return edit
        line = named(QLineEdit(), f.label, tip)
        line.setPlaceholderText(f.default)
        return line

    def values(self) -> dict:
        out = {}
        for name, w in self.inputs.items():
            if isinstance(w, QComboBox):
                out[name] = w.currentText()
            elif isinstance(w, QPlainTextEdit):
                out[name] = w.toPlainText()
            elif isinstance(w, QLineEdit):
                out[name] = w.text()
        return out

    def set_values(self, values: dict) -> None:
        for name, value in values.items():
            w = self.inputs.get(name)
            if isinstance(w, QComboBox):
                w.setCurrentText(value)
            elif isinstance(w, QPlainTextEdit):
                w.setPlainText(value)
            elif isinstance(w, QLineEdit):
                w.setText(value)

    def set_facts_picker(self, picker: QWidget) -> None:
        label = QLabel("&Facts from:")
        label.setBuddy(picker)
        self.facts.addWidget(label)
        self.facts.addWidget(picker)
        self.facts.addStretch(1)

    def set_busy(self, busy: bool) -> None:
        self.generate_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)

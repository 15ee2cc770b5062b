"""The Settings dialog (defaults for every chat) and a conversation's own settings."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.core.models import LocalModel, ModelRef
from desktop_llm.core.models.hardware import physical_cores
from desktop_llm.core.presets import SYSTEM_PRESETS, preset_for
from desktop_llm.core.settings import Settings
from desktop_llm.core.store import Conversation
from desktop_llm.gui.common.widgets import named, save_cancel_buttons

CUSTOM = "Custom"
NONE = "None"


def _spin(lo: float, hi: float, step: float, decimals: int, name: str, tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    return named(box, name, tip)


class SystemPromptEditor(QWidget):
    """A preset chooser above the prompt text; editing the text makes it Custom."""

    def __init__(self, text: str, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.preset = named(QComboBox(), "System prompt preset",
                             "Start from a built-in system prompt")
        self.preset.addItems([NONE, *SYSTEM_PRESETS, CUSTOM])
        self.text = named(QPlainTextEdit(), "System prompt",
                           "Instructions the model follows for the whole conversation")
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText("No system prompt")
        self.text.setFixedHeight(90)
        self.text.setPlainText(text)
        self.preset.setCurrentText(preset_for(text) or (CUSTOM if text.strip() else NONE))
        self.preset.currentTextChanged.connect(self._on_preset)
        self.text.textChanged.connect(self._on_text)
        layout.addWidget(self.preset)
        layout.addWidget(self.text)

    def _on_preset(self, name: str) -> None:
        if name in SYSTEM_PRESETS:
            self.text.setPlainText(SYSTEM_PRESETS[name])
        elif name == NONE:
            self.text.setPlainText("")

    def _on_text(self) -> None:
        name = preset_for(self.text.toPlainText())
        wanted = name or (CUSTOM if self.text.toPlainText().strip() else NONE)
        if self.preset.currentText() != wanted:
            self.preset.blockSignals(True)
            self.preset.setCurrentText(wanted)
            self.preset.blockSignals(False)

    def value(self) -> str:
        return self.text.toPlainText().strip()


class SettingsDialog(QDialog):
    """Defaults for new conversations, the model and the look of the app."""

    def __init__(self, settings: Settings, models: list[ModelRef], parent=None,
                 has_token: bool = False, api_key: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self._settings = settings
        form = QFormLayout()
        self.model = named(QComboBox(), "Model", "The model that answers (loaded when you save)")
        self.model.addItem("Bundled starter model", "")
        for m in models:
            if m.is_remote:
                self.model.addItem(f"☁ {m.name} (remote: text leaves this computer)", m.name)
            elif isinstance(m, LocalModel) and not m.bundled:
                self.model.addItem(m.name, str(m.path))
        index = self.model.findData(settings.default_model)
        self.model.setCurrentIndex(max(0, index))
        self.temperature = _spin(0, 2, 0.05, 2, "Temperature",
                                 "Higher is more varied and creative, lower more focused")
        self.temperature.setValue(settings.temperature)
        self.top_p = _spin(0.05, 1, 0.05, 2, "Top-p", "Sample only from the most likely words "
                           "whose probabilities add up to this")
        self.top_p.setValue(settings.top_p)
        self.max_tokens = named(QSpinBox(), "Maximum reply length",
                                 "The longest reply, in tokens (about ¾ of a word each)")
        self.max_tokens.setRange(16, 32768)
        self.max_tokens.setValue(settings.max_tokens)
        self.n_ctx = named(QSpinBox(), "Context size",
                            "How much of the conversation the model sees, in tokens; more uses more memory")
        self.n_ctx.setRange(512, 262144)
        self.n_ctx.setSingleStep(512)
        self.n_ctx.setValue(settings.n_ctx)
        self.system_prompt = SystemPromptEditor(settings.system_prompt)
        self.theme = named(QComboBox(), "Theme", "Follow the system, or always light or dark")
        for value, label in (("system", "System"), ("light", "Light"), ("dark", "Dark")):
            self.theme.addItem(label, value)
        self.theme.setCurrentIndex(self.theme.findData(settings.theme))
        self.font_size = named(QSpinBox(), "Font size", "Text size in points; 0 uses the system's size")
        self.font_size.setRange(0, 32)
        self.font_size.setSpecialValueText("System")
        self.font_size.setValue(settings.font_size)
        form.addRow("&Model:", self.model)
        form.addRow("&Temperature:", self.temperature)
        form.addRow("Top-&p:", self.top_p)
        form.addRow("Max reply &tokens:", self.max_tokens)
        form.addRow("&Context size:", self.n_ctx)
        form.addRow("&System prompt for new chats:", self.system_prompt)
        form.addRow("T&heme:", self.theme)
        form.addRow("&Font size:", self.font_size)
        self._add_hardware_rows(form, settings)
        self._add_hub_rows(form, settings, has_token)
        self._add_api_rows(form, settings, api_key)
        buttons = save_cancel_buttons(self)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _add_hardware_rows(self, form: QFormLayout, settings: Settings) -> None:
        self.gpu_mode = named(QComboBox(), "GPU offload",
                               "Automatic puts as many layers on the GPU as fit in its free memory")
        for value, label in (("auto", "Automatic"), ("cpu", "CPU only"), ("manual", "Fixed number of layers")):
            self.gpu_mode.addItem(label, value)
        self.gpu_mode.setCurrentIndex(max(0, self.gpu_mode.findData(settings.gpu_mode)))
        self.gpu_layers = named(QSpinBox(), "GPU layers", "Layers to put on the GPU (Fixed number of layers)")
        self.gpu_layers.setRange(0, 999)
        self.gpu_layers.setValue(settings.n_gpu_layers)
        self.gpu_mode.currentIndexChanged.connect(self._on_gpu_mode)
        self._on_gpu_mode()
        cores = physical_cores()
        self.threads = named(QSpinBox(), "CPU threads", f"Threads the model runs on: Auto is one per core ({cores} "
                             "here), which measures fastest; fewer leave cores free for other programs")
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText(f"Auto ({cores})")
        self.threads.setValue(settings.n_threads)
        row = QHBoxLayout()
        row.addWidget(self.gpu_mode, 1)
        row.addWidget(self.gpu_layers)
        row.addWidget(QLabel("Threads:"))
        row.addWidget(self.threads)
        form.addRow(_label("&GPU offload:", self.gpu_mode), row)
        self.kv_cache = named(QComboBox(), "KV cache type", "The numbers the model keeps the conversation in: "
                              "8-bit or 4-bit hold a long context in about half or a quarter of the memory, "
                              "at a little quality (they use flash attention)")
        for value, label in (("f16", "16-bit (best quality)"), ("q8_0", "8-bit (half the memory)"),
                             ("q4_0", "4-bit (a quarter of the memory)")):
            self.kv_cache.addItem(label, value)
        self.kv_cache.setCurrentIndex(max(0, self.kv_cache.findData(settings.kv_cache_type)))
        self.flash_attn = named(QCheckBox("Flash attention"), "Flash attention",
                                "llama.cpp's flash attention: faster on most GPUs, and needed by an 8-bit or "
                                "4-bit KV cache")
        self.flash_attn.setChecked(settings.flash_attn)
        self.n_batch = named(QSpinBox(), "Prompt batch size", "Prompt tokens read at once: larger reads long "
                             "prompts faster on a GPU, at more memory")
        self.n_batch.setRange(32, 4096)
        self.n_batch.setSingleStep(128)
        self.n_batch.setValue(settings.n_batch)
        engine = QHBoxLayout()
        engine.addWidget(self.kv_cache, 1)
        engine.addWidget(self.flash_attn)
        engine.addWidget(QLabel("Batch:"))
        engine.addWidget(self.n_batch)
        form.addRow(_label("&KV cache:", self.kv_cache), engine)

    def _on_gpu_mode(self) -> None:
        self.gpu_layers.setEnabled(self.gpu_mode.currentData() == "manual")

    def _add_hub_rows(self, form: QFormLayout, settings: Settings, has_token: bool) -> None:
        self.offline = named(QCheckBox("Never connect to the internet"), "Offline mode",
                              "Hub search and downloads are off; installed models and the catalog still work")
        self.offline.setChecked(settings.offline)
        self.token = named(QLineEdit(), "Hugging Face token",
                            "For gated or private models; kept in the system keyring, never in the settings file")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("A token is stored — type a new one to replace it" if has_token
                                      else "hf_… (only for gated or private models)")
        self.forget_token = QPushButton("Forget")
        named(self.forget_token, "Forget token", "Delete the stored Hugging Face token")
        self.forget_token.setEnabled(has_token)
        self.forget_token.clicked.connect(self._forget_token)
        self._forget = False
        row = QHBoxLayout()
        row.addWidget(self.token, 1)
        row.addWidget(self.forget_token)
        form.addRow("&Offline mode:", self.offline)
        form.addRow(_label("Hugging Face to&ken:", self.token), row)

    def _add_api_rows(self, form: QFormLayout, settings: Settings, api_key: str) -> None:
        self.api_server = named(QCheckBox("Serve the OpenAI API to other apps on this computer"), "API server",
                                "Editors, scripts and extensions can use the model at http://127.0.0.1:PORT/v1")
        self.api_server.setChecked(settings.api_server)
        self.api_port = named(QSpinBox(), "API port", "The port the API listens on (127.0.0.1 only)")
        self.api_port.setRange(1024, 65535)
        self.api_port.setValue(settings.api_port)
        self.api_key = named(QLineEdit(api_key), "API key",
                             "Optional: clients must send 'Authorization: Bearer <key>' (kept in the keyring)")
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("none (this computer only)")
        row = QHBoxLayout()
        row.addWidget(self.api_server, 1)
        row.addWidget(QLabel("Port:"))
        row.addWidget(self.api_port)
        form.addRow(_label("&API server:", self.api_server), row)
        form.addRow(_label("API ke&y:", self.api_key), self.api_key)

    def _forget_token(self) -> None:
        self._forget = True
        self.token.clear()
        self.token.setPlaceholderText("The token will be forgotten when you save")
        self.forget_token.setEnabled(False)

    def token_change(self) -> str | None:
        """A new token, "" to forget the stored one, or None for no change."""
        typed = self.token.text().strip()
        if typed:
            return typed
        return "" if self._forget else None

    def result_settings(self) -> Settings:
        return replace(
            self._settings,
            default_model=self.model.currentData(),
            temperature=round(self.temperature.value(), 2),
            top_p=round(self.top_p.value(), 2),
            max_tokens=self.max_tokens.value(),
            n_ctx=self.n_ctx.value(),
            system_prompt=self.system_prompt.value(),
            theme=self.theme.currentData(),
            font_size=self.font_size.value(),
            gpu_mode=self.gpu_mode.currentData(),
            n_gpu_layers=self.gpu_layers.value(),
            n_threads=self.threads.value(),
            kv_cache_type=self.kv_cache.currentData(),
            flash_attn=self.flash_attn.isChecked(),
            n_batch=self.n_batch.value(),
            offline=self.offline.isChecked(),
            api_server=self.api_server.isChecked(),
            api_port=self.api_port.value(),
        )


class ConversationSettingsDialog(QDialog):
    """One conversation's system prompt and generation settings; "Default"
    (the lowest value of each box) means the value from Settings."""

    def __init__(self, defaults: Settings, conversation: Conversation | None = None,
                 pending: dict | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Conversation settings")
        self.setAccessibleName("Conversation settings")
        own = pending or ({} if conversation is None else {
            "system_prompt": conversation.system_prompt, "temperature": conversation.temperature,
            "top_p": conversation.top_p, "max_tokens": conversation.max_tokens})
        self.system_prompt = SystemPromptEditor(own.get("system_prompt", defaults.system_prompt))
        self.temperature = _spin(-0.05, 2, 0.05, 2, "Temperature",
                                 f"Higher is more varied; Default uses {defaults.temperature}")
        self.temperature.setSpecialValueText(f"Default ({defaults.temperature})")
        self.temperature.setValue(_or(own.get("temperature"), self.temperature.minimum()))
        self.top_p = _spin(0, 1, 0.05, 2, "Top-p", f"Default uses {defaults.top_p}")
        self.top_p.setSpecialValueText(f"Default ({defaults.top_p})")
        self.top_p.setValue(_or(own.get("top_p"), 0))
        self.max_tokens = named(QSpinBox(), "Maximum reply length",
                                 f"The longest reply, in tokens; Default uses {defaults.max_tokens}")
        self.max_tokens.setRange(0, 32768)
        self.max_tokens.setSpecialValueText(f"Default ({defaults.max_tokens})")
        self.max_tokens.setValue(_or(own.get("max_tokens"), 0))
        form = QFormLayout()
        form.addRow("&System prompt:", self.system_prompt)
        form.addRow("&Temperature:", self.temperature)
        form.addRow("Top-&p:", self.top_p)
        form.addRow("Max reply &tokens:", self.max_tokens)
        note = QLabel("These apply to this conversation only. Defaults are in Settings (Ctrl+,).")
        note.setWordWrap(True)
        buttons = save_cancel_buttons(self)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def values(self) -> dict:
        """What to store: None where the box says Default."""
        temperature = self.temperature.value()
        return {
            "system_prompt": self.system_prompt.value(),
            "temperature": None if temperature < 0 else round(temperature, 2),
            "top_p": self.top_p.value() or None,
            "max_tokens": self.max_tokens.value() or None,
        }


def _or(value, fallback):
    return fallback if value is None else value


def _label(text: str, buddy: QWidget) -> QLabel:
    """A form label whose mnemonic (Alt+letter) moves to `buddy`."""
    label = QLabel(text)
    label.setBuddy(buddy)
    return label

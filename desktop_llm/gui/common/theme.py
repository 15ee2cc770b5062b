"""Light, dark or the system's look, and the font size, for the whole app."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

_DARK = {
    QPalette.ColorRole.Window: "#2b2b2b", QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1e1e1e", QPalette.ColorRole.AlternateBase: "#2f3b4c",
    QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#353535",
    QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.Highlight: "#3d6fb4",
    QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#353535",
    QPalette.ColorRole.ToolTipText: "#e6e6e6", QPalette.ColorRole.Link: "#8ab4f8",
    QPalette.ColorRole.PlaceholderText: "#8a8a8a", QPalette.ColorRole.Mid: "#9a9a9a",
    QPalette.ColorRole.Midlight: "#4a4a4a",
}
_LIGHT_ALTERNATE = "#e8f0fe"  # the user's bubbles
# What a colour says, in each theme, each at least 4.5:1 against the window and the text fields.
TONES = {
    "error": {"light": "#c62828", "dark": "#ff8a80"},
    "success": {"light": "#2a722e", "dark": "#81c995"},
    "info": {"light": "#1565c0", "dark": "#8ab4f8"},
    "warning": {"light": "#a04a00", "dark": "#ffb74d"},
    "muted": {"light": "#5f6368", "dark": "#a8adb4"},  # quiet text: list headings, a bubble's header, hints
}
BACKGROUNDS = {  # areas behind normal text
    "notice": {"light": "#fdecea", "dark": "#4a2626"},
    "hit": {"light": "#fff3b0", "dark": "#5c4a00"},
}


def is_dark() -> bool:
    app = QApplication.instance()
    palette = app.palette() if isinstance(app, QApplication) else QPalette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def tone(name: str) -> str:
    """The colour of a kind of message (error, success, info, warning, muted) in the theme in use."""
    return TONES[name]["dark" if is_dark() else "light"]


def background(name: str) -> str:
    return BACKGROUNDS[name]["dark" if is_dark() else "light"]


class ThemeKeeper:
    """Remembers the platform's own palette, style and font so 'system' can restore them."""

    def __init__(self, app: QApplication):
        self.app = app
        self.system_palette = QPalette(app.palette())
        self.system_style = app.style().name()
        self.system_font = QFont(app.font())

    def apply(self, theme: str, font_size: int) -> None:
        if theme == "dark":
            self.app.setStyle(QStyleFactory.create("Fusion"))
            palette = QPalette()
            for role, colour in _DARK.items():
                palette.setColor(role, QColor(colour))
            for role in (QPalette.ColorRole.ButtonText, QPalette.ColorRole.Text,
                         QPalette.ColorRole.WindowText):
                palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#777777"))
            self.app.setPalette(palette)
        elif theme == "light":
            self.app.setStyle(QStyleFactory.create("Fusion"))
            palette = self.app.style().standardPalette()
            palette.setColor(QPalette.ColorRole.AlternateBase, QColor(_LIGHT_ALTERNATE))
            self.app.setPalette(palette)
        else:
            self.app.setStyle(QStyleFactory.create(self.system_style) or self.app.style())
            palette = QPalette(self.system_palette)
            palette.setColor(QPalette.ColorRole.AlternateBase, QColor(_LIGHT_ALTERNATE)
                             if palette.color(QPalette.ColorRole.Base).lightness() > 128
                             else QColor(_DARK[QPalette.ColorRole.AlternateBase]))
            self.app.setPalette(palette)
        font = QFont(self.system_font)
        if font_size > 0:
            font.setPointSize(font_size)
        self.app.setFont(font)
        self.restyle()

    def restyle(self) -> None:
        """Quiet text in readable grey, and every widget whose style sheet or colours
        were worked out from the palette worked out again (a style sheet's palette()
        is read once, when it is set)."""
        palette = self.app.palette()
        muted = QColor(tone("muted"))
        palette.setColor(QPalette.ColorRole.PlaceholderText, muted)
        self.app.setPalette(palette)
        for widget in self.app.allWidgets():
            restyle = getattr(widget, "restyle", None)
            if callable(restyle):
                restyle()

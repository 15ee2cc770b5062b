"""The themes: text colours readable at WCAG AA in light and dark, a switch of
theme repaints what is open, and the keyboard focus always shows."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from desktop_llm.gui.common.application import focus_ring
from desktop_llm.gui.common.theme import BACKGROUNDS, TONES
from tests.gui.helpers import loaded, send_and_wait

AA = 4.5


def contrast(a: str | QColor, b: str | QColor) -> float:
    def luminance(colour) -> float:
        c = QColor(colour)
        channels = []
        for v in (c.redF(), c.greenF(), c.blueF()):
            channels.append(v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4)
        r, g, b_ = channels
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_tone_reads_at_aa_on_the_themes_backgrounds(make_window, theme):
    window = make_window()
    window.theme.apply(theme, 0)
    palette = QApplication.palette()
    grounds = [palette.color(QPalette.ColorRole.Window), palette.color(QPalette.ColorRole.Base)]
    for name, colours in TONES.items():
        for ground in grounds:
            assert contrast(colours[theme], ground) >= AA, (theme, name, ground.name())
    text = palette.color(QPalette.ColorRole.Text)
    for name, colours in BACKGROUNDS.items():
        assert contrast(text, colours[theme]) >= AA, (theme, name)
    assert contrast(palette.color(QPalette.ColorRole.PlaceholderText), grounds[1]) >= AA
    headings = [window.sidebar.list.item(i) for i in range(window.sidebar.list.count())
                if window.sidebar.list.item(i).text() in window.sidebar.headings()]
    for item in headings:
        assert contrast(item.foreground().color(), grounds[1]) >= AA


def test_switching_theme_repaints_the_open_conversation(qtbot, make_window):
    window = loaded(qtbot, make_window())
    window.theme.apply("light", 0)
    send_and_wait(qtbot, window, "Hi")
    bubbles = window.chat_view.bubbles()

    def fill(bubble) -> QColor:
        image = bubble.grab().toImage()
        return image.pixelColor(image.width() - 6, image.height() // 2)

    assert all(fill(b).lightness() > 200 for b in bubbles)
    window.theme.apply("dark", 0)
    qtbot.wait(50)
    assert all(fill(b).lightness() < 80 for b in bubbles), [fill(b).name() for b in bubbles]
    window.theme.apply("light", 0)


def test_the_focus_ring_follows_tab_and_leaves_with_the_mouse(qtbot, make_window):
    window = loaded(qtbot, make_window())
    ring = focus_ring()
    qtbot.mouseClick(window.sidebar.search_box, Qt.MouseButton.LeftButton)
    assert QApplication.focusWidget() is window.sidebar.search_box
    assert ring.shown_around() is None  # a click shows no ring
    seen = []
    for _ in range(8):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        focused = QApplication.focusWidget()
        assert ring.shown_around() is focused, focused
        geometry = ring.ring.geometry()
        inner = focused.rect().translated(focused.mapTo(window, focused.rect().topLeft()))
        assert geometry.contains(inner)
        seen.append(focused)
    assert len(set(seen)) >= 3  # it moved from stop to stop
    qtbot.mouseClick(window.sidebar.search_box, Qt.MouseButton.LeftButton)
    assert ring.shown_around() is None

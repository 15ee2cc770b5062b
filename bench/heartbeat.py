"""A 1 ms timer on the GUI thread: a stall is the gap between two beats beyond 1 ms."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, Qt, QTimer


class Heartbeat:
    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(1)
        self._timer.timeout.connect(self._beat)
        self._last = 0

    def _beat(self) -> None:
        now = self._clock.nsecsElapsed()
        self.gaps.append((now - self._last) / 1e6)
        self._last = now

    def start(self) -> None:
        self._clock.start()
        self._last = self._clock.nsecsElapsed()
        self._timer.start()

    def stop(self) -> list[float]:
        """The stalls in ms, sorted (the first beats, start-up, left out)."""
        self._timer.stop()
        return sorted(max(0.0, g - 1.0) for g in self.gaps[5:])

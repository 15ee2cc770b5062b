"""The app's core on a fresh, temporary data folder, with some settings: what a bench measures
must not depend on (or change) the user's own."""

from __future__ import annotations

import os
import tempfile

from desktop_llm.core.paths import HOME_ENV


def temporary_core(prefix: str, **settings):
    os.environ[HOME_ENV] = tempfile.mkdtemp(prefix=prefix)
    from desktop_llm.core.app import AppCore

    core = AppCore()
    for name, value in settings.items():
        setattr(core.settings, name, value)
    core.save_settings()
    return core

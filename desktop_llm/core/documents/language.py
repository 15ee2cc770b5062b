"""The languages a document can be translated between, and which one a text
is written in (py3langid: offline, deterministic, restricted to our list)."""

from __future__ import annotations

import threading

from desktop_llm.core.errors import UserError

LANGUAGES = {"ar": "Arabic", "bg": "Bulgarian", "cs": "Czech", "da": "Danish", "de": "German", "el": "Greek",
             "en": "English", "es": "Spanish", "et": "Estonian", "fi": "Finnish", "fr": "French", "he": "Hebrew",
             "hi": "Hindi", "hu": "Hungarian", "id": "Indonesian", "it": "Italian", "ja": "Japanese",
             "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "nl": "Dutch", "no": "Norwegian", "pl": "Polish",
             "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sl": "Slovenian",
             "sv": "Swedish", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese",
             "zh": "Chinese"}
SAMPLE_CHARS = 4000  # enough to tell languages apart, quick on a long document
MIN_CONFIDENCE = 0.6

_identifier = None
_lock = threading.Lock()


def language_code(name: str) -> str:
    key = name.strip().lower()
    for code, language in LANGUAGES.items():
        if key in (code, language.lower()):
            return code
    raise UserError(f"Unknown language “{name}”. Use a code or name: "
                    f"{', '.join(f'{c} ({n})' for c, n in sorted(LANGUAGES.items()))}.")


def detect_language(text: str) -> str:
    """The code of the language `text` is written in, or "" when unsure."""
    global _identifier
    sample = " ".join(text.split())[:SAMPLE_CHARS]
    if len(sample) < 3:
        return ""
    with _lock:  # the identifier keeps state between calls
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages([c for c in LANGUAGES if c in set(identifier.nb_classes)])
            _identifier = identifier
        code, confidence = _identifier.classify(sample)
    return code if confidence >= MIN_CONFIDENCE else ""

"""Writing templates: TOML files with named fields, a prompt and output
constraints. Built-ins live in resources/templates; the user's own (in the
data folder's templates/) add to them or replace one with the same id.

A prompt line whose fields are all left empty is dropped, so optional
fields need no conditionals: "Audience: {audience}." simply disappears.
"""

from __future__ import annotations

import string
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

from desktop_llm.core.errors import NotFound, UserError
from desktop_llm.core.files import atomic_write_text
from desktop_llm.core.paths import resources_dir

SHAPES = ("text", "variants", "json")
BUILTIN_DIR = "templates"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    required: bool = False
    default: str = ""
    choices: tuple[str, ...] = ()
    multiline: bool = False


@dataclass(frozen=True)
class Part:
    """One named piece of a JSON answer (seo-meta's title, description...)."""

    name: str
    max_chars: int | None = None
    items: int | None = None  # a list of exactly this many strings


@dataclass(frozen=True)
class Output:
    shape: str = "text"  # text, variants (several short texts) or json (named parts)
    variants: int = 1
    max_variants: int = 10
    max_chars: int | None = None
    max_chars_by: dict = field(default_factory=dict)  # field -> {value: limit}
    parts: tuple[Part, ...] = ()

    def limit_for(self, values: dict) -> int | None:
        """The length limit, which may depend on a field (the platform of a post)."""
        for name, limits in self.max_chars_by.items():
            if values.get(name) in limits:
                return int(limits[values[name]])
        return self.max_chars


@dataclass(frozen=True)
class Template:
    id: str
    title: str
    description: str
    system: str
    prompt: str
    fields: tuple[Field, ...]
    output: Output
    source: str = "built-in"  # or "user"
    path: Path | None = None

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def with_tone(self) -> "Template":
        """This template with a Tone field (every template can take a tone)."""
        if "tone" in self.field_names():
            return self
        return replace(self, prompt=self.prompt + "\nTone: {tone}.", fields=self.fields + (Field("tone", "Tone"),))

    def values(self, given: dict) -> dict:
        """The given values with defaults filled in; unknown or missing fields are errors."""
        unknown = [k for k in given if k not in self.field_names()]
        if unknown:
            raise UserError(f"{self.id} has no field {', '.join(unknown)}. Its fields: "
                            f"{', '.join(self.field_names())}.")
        values = {}
        for f in self.fields:
            value = str(given.get(f.name) or "").strip() or f.default
            if f.required and not value:
                raise UserError(f"{self.id} needs “{f.label}” (--field {f.name}=...).")
            if f.choices and value and value not in f.choices:
                raise UserError(f"{f.label} must be one of: {', '.join(f.choices)} (not “{value}”).")
            values[f.name] = value
        return values

    def messages(self, values: dict, variants: int = 1) -> list[dict]:
        extra = {"max_chars": self.output.limit_for(values) or "", "variants": variants}
        system = fill(self.system, {**values, **extra})
        prompt = fill(self.prompt, {**values, **extra})
        return ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]


def fill(text: str, values: dict) -> str:
    """Fill {placeholders}; a line whose placeholders are all empty is left out."""
    lines = []
    for line in text.splitlines():
        names = [name for _, name, _, _ in string.Formatter().parse(line) if name]
        if names and all(not str(values.get(n, "")).strip() for n in names):
            continue
        lines.append(line.format_map(_Values(values)))
    return "\n".join(lines).strip()


class _Values(dict):
    def __missing__(self, key):  # a stray {word} in a user template stays as written
        return "{" + key + "}"


def _parse(path: Path, source: str) -> Template:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        out = dict(raw.get("output", {}))
        parts = tuple(Part(name, **spec) for name, spec in out.pop("parts", {}).items())
        output = Output(**out, parts=parts)
        fields = tuple(Field(**{**f, "choices": tuple(f.get("choices", ()))}) for f in raw.get("fields", []))
        template = Template(raw["id"], raw["title"], raw.get("description", ""), raw.get("system", ""),
                            raw["prompt"], fields, output, source, path)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise UserError(f"The template {path.name} cannot be read: {exc}. Fix or remove it.",
                        detail=repr(exc)) from exc
    if output.shape not in SHAPES:
        raise UserError(f"The template {path.name} has an unknown output shape “{output.shape}” "
                        f"(use one of: {', '.join(SHAPES)}).")
    return template


def load_templates(user_dir: Path | None = None) -> dict[str, Template]:
    """Built-in templates, then the user's (which win on the same id).
    A broken user template is skipped with its problem recorded."""
    templates = {}
    for path in sorted((resources_dir() / BUILTIN_DIR).glob("*.toml")):
        t = _parse(path, "built-in")
        templates[t.id] = t
    if user_dir is not None and Path(user_dir).is_dir():
        for path in sorted(Path(user_dir).glob("*.toml")):
            try:
                t = _parse(path, "user")
            except UserError:
                continue  # listed by `problems`, never fatal
            templates[t.id] = t
    return templates


def save_user_template(user_dir: Path, text: str) -> Template:
    """Check a template's TOML and store it among the user's templates
    (named after its id); a template that cannot be read is refused."""
    user_dir = Path(user_dir)
    user_dir.mkdir(parents=True, exist_ok=True)
    probe = user_dir / ".checking.toml"
    probe.write_text(text, encoding="utf-8")
    try:
        template = _parse(probe, "user")
        template.values({f.name: f.choices[0] if f.choices else "x" for f in template.fields})
    finally:
        probe.unlink(missing_ok=True)
    if not template.id or not all(c.isalnum() or c in "-_" for c in template.id):
        raise UserError("A template's id uses letters, digits, - and _ only (it names the file).")
    target = user_dir / f"{template.id}.toml"
    atomic_write_text(target, text)
    return replace(template, path=target)


def template_source(template: Template) -> str:
    """The TOML a template was read from (the starting point for editing it)."""
    return template.path.read_text(encoding="utf-8") if template.path else ""


def find_template(templates: dict[str, Template], template_id: str) -> Template:
    if template_id not in templates:
        raise NotFound(f"No template “{template_id}”. Templates: {', '.join(sorted(templates))}.")
    return templates[template_id]


def with_draft(values: dict, draft: str) -> dict:
    """Template values completed from the draft being written: an empty
    outline field takes the draft, so an outline written there becomes the
    post's outline."""
    if "outline" in values and not str(values["outline"]).strip() and draft.strip():
        return {**values, "outline": draft.strip()}
    return values

"""Drafting from templates, rewriting a passage, and labelling feedback —
as jobs on the model host, with the constraints enforced by the app:
structured answers are decoded under a JSON-schema grammar (so the number
of variants and the labels are exact), and lengths are checked afterwards
(one retry, then a cut at a sentence boundary that the user is told about).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Iterator

from desktop_llm.core.chat import params_from
from desktop_llm.core.completions import complete
from desktop_llm.core.drafting import rewrite as rw
from desktop_llm.core.drafting import sentiment
from desktop_llm.core.drafting.limits import SENTENCE_END, cut_to_length
from desktop_llm.core.drafting.rewrite import REWRITE_STYLES, Rewritten
from desktop_llm.core.drafting.structured import UNLIMITED_CHARS, json_token_budget, structured, text_schema
from desktop_llm.core.drafting.templates import Template
from desktop_llm.core.engine import GenerationParams
from desktop_llm.core.errors import UserError
from desktop_llm.core.events import Event, Finished, Partial, Progress, Steps
from desktop_llm.core.host import HostContext, Job, JobKind, ModelHost
from desktop_llm.core.library.grounding import Source, checked_citations, fitted, grounded_system
from desktop_llm.core.models import ModelRef
from desktop_llm.core.settings import Settings


@dataclass(frozen=True)
class Draft:
    template: str
    variants: list[str]
    notes: list[str] = field(default_factory=list)  # what the app had to do (a cut, a retry)
    data: dict | None = None  # the named parts of a JSON-shaped template (of its first variant)
    all_data: list[dict] = field(default_factory=list)  # the named parts of each variant
    sources: list[Source] = field(default_factory=list)  # the library passages it was written from

    def as_dict(self) -> dict:
        d: dict = {"template": self.template, "variants": self.variants, "notes": self.notes}
        if self.data is not None:
            d["data"] = self.data
            d["all_data"] = self.all_data or [self.data]
        if self.sources:
            d["sources"] = [s.as_dict() for s in self.sources]
        return d


@dataclass(frozen=True)
class VariantPiece:
    """A Partial event's piece while drafting: variant `index` begins (`done` False; its
    tokens follow) or is finished, with its final text (after any retry or cut)."""
    index: int
    count: int
    text: str = ""
    done: bool = False


def prose_grammar(limit: int) -> str:
    """GBNF for one text of at most `limit` characters that starts like a
    sentence and holds no markup brackets (where small models start JSON)."""
    shortest = min(20, limit // 4)
    most = f"{limit - 1}" if limit <= 1000 else ""  # long texts: the token budget bounds them
    return (r'root ::= [A-Za-z0-9"(#*] '
            rf'[^\x00-\x09\x0b-\x1f{{}}<>\[\]]{{{shortest - 1},{most}}}')


AVOID_CHARS = 100  # of each earlier variant, shown so the next one differs


def unlike(ask: str, earlier: list[str]) -> str:
    """The request for one more variant, showing the openings of the earlier ones so it differs."""
    avoid = "".join(f"\n- {text[:AVOID_CHARS]}" for text in earlier)  # their openings are enough
    return ask + (f"\nWrite it differently from these:{avoid}" if avoid else "")


def parts_schema(template: Template) -> dict:
    props = {}
    for part in template.output.parts:
        if part.items:
            props[part.name] = {"type": "array", "minItems": part.items, "maxItems": part.items,
                                "items": text_schema(part.max_chars or 40)}
        else:
            props[part.name] = text_schema(part.max_chars)
    return {"type": "object", "required": list(props), "properties": props}


def _end_cleanly(texts: list[str], limit: int, what: str) -> tuple[list[str], list[str]]:
    """Texts that ran into their length limit (the grammar stops them there)
    end at a sentence boundary instead of mid-word; the user is told."""
    out, cut = [], []
    for i, text in enumerate(texts):
        text = text.strip()
        if len(text) > limit:  # a server without our grammar may write past it
            text = cut_to_length(text, limit)
            cut.append(i + 1)
        elif len(text) >= limit - 2 and not SENTENCE_END.search(text[-3:]):  # stopped by the grammar
            text = cut_to_length(text, max(1, len(text) - 1))
            cut.append(i + 1)
        out.append(text)
    if not cut:
        return out, []
    if len(texts) == 1:
        which, verbs = what, ("reached", "was")
    else:
        which = f"{what}{'s' if len(cut) > 1 else ''} {', '.join(map(str, cut))}"
        verbs = ("reached", "were") if len(cut) > 1 else ("reached", "was")
    return out, [f"{which} {verbs[0]} the {limit}-character limit and {verbs[1]} shortened to end at a "
                 "sentence (or word) boundary."]


class Writer:
    def __init__(self, host: ModelHost, settings: Settings):
        self.host = host
        self.settings = settings

    @property
    def params(self) -> GenerationParams:
        return params_from(self.settings)

    # -- drafting --------------------------------------------------------------------
    def draft(self, template: Template, given: dict, model: ModelRef, variants: int | None = None,
              tone: str = "", listener=None, sources: Callable[[str], list[Source]] | None = None) -> Job:
        """A draft from a template; with `sources` (passages for a query, from the user's libraries)
        the draft is written from those facts and cites them."""
        if tone:
            template = template.with_tone()
        values = template.values({**given, **({"tone": tone} if tone else {})})
        count = variants or template.output.variants
        if not 1 <= count <= template.output.max_variants:
            raise UserError(f"Ask for 1 to {template.output.max_variants} variants of {template.id}.")
        limit = template.output.limit_for(values)

        def job(ctx: HostContext) -> Iterator[Event]:
            yield from ctx.engine_for(model)
            grounded, found = template, []
            if sources is not None:
                yield Progress(0, 1, "Looking in the libraries")
                query = " ".join(str(v) for v in values.values() if isinstance(v, str))
                found = fitted(sources(query), ctx.engine.count_text, ctx.engine.n_ctx)
                # braces in the passages are text, not the template's {placeholders}
                facts = grounded_system("", found).replace("{", "{{").replace("}", "}}")
                grounded = replace(template, system=f"{template.system}\n\n{facts}".strip())
            shape = template.output.shape
            if shape == "json":
                result = yield from self._draft_parts(ctx, grounded, values, count)
            elif shape == "variants":
                result = yield from self._draft_variants(ctx, grounded, values, count, limit)
            else:
                result = yield from self._draft_texts(ctx, grounded, values, count, limit)
            if sources is not None:
                result = replace(result, variants=[checked_citations(v, found) for v in result.variants],
                                 sources=found)
            yield Finished(result)

        return self.host.submit(job, listener, kind=JobKind.DRAFT, info={"template": template.id})

    def _draft_texts(self, ctx, template, values, count, limit) -> Steps[Draft]:
        texts: list[str] = []
        notes: list[str] = []
        for i in range(count):
            if i:
                yield from ctx.give_way()
            yield Progress(i, count, f"Writing variant {i + 1} of {count}")
            yield Partial(VariantPiece(i, count))
            params = self.params.reseeded(i)
            text = yield from complete(ctx, template.messages(values), params, stream=True)
            text, note = yield from self._within(ctx, template, values, text, limit, params)
            yield Partial(VariantPiece(i, count, text, done=True))
            texts.append(text)
            notes += note
        return Draft(template.id, texts, notes)

    def _within(self, ctx, template, values, text, limit, params) -> Steps[tuple[str, list[str]]]:
        """Hold a text to its length limit: one retry, then a cut."""
        if limit is None or len(text) <= limit:
            return text, []
        messages = template.messages(values) + [
            {"role": "assistant", "content": text},
            {"role": "user", "content": f"That is {len(text)} characters. Rewrite it in at most {limit} characters."}]
        again = yield from complete(ctx, messages, params)
        if len(again) <= limit:
            return again, [f"The first answer was too long ({len(text)} characters); it was rewritten."]
        return cut_to_length(again, limit), [f"Cut to {limit} characters at a sentence boundary."]

    def _draft_variants(self, ctx, template, values, count, limit) -> Steps[Draft]:
        """Exactly `count` short texts, one request each, under a grammar that
        admits only prose within the length limit (no markup, no rambling on)."""
        messages = template.messages(values, count)
        ask = messages[-1]["content"]
        limit = limit or UNLIMITED_CHARS
        params = replace(self.params, grammar=prose_grammar(limit), max_tokens=json_token_budget(limit))
        variants: list[str] = []
        for i in range(count):
            if i:
                yield from ctx.give_way()
            yield Progress(i, count, f"Writing variant {i + 1} of {count}")
            yield Partial(VariantPiece(i, count))
            messages[-1] = {**messages[-1], "content": unlike(ask, variants)}
            variants.append((yield from complete(ctx, messages, params.reseeded(i), stream=True)))
            yield Partial(VariantPiece(i, count, _end_cleanly(variants[-1:], limit, "")[0][0], done=True))
        variants, notes = _end_cleanly(variants, limit, "Variant")
        return Draft(template.id, variants, notes)

    def _draft_parts(self, ctx, template, values, count: int = 1) -> Steps[Draft]:
        """`count` sets of the template's named parts, each set under the JSON-schema grammar."""
        budget = sum((p.max_chars or 40) * (p.items or 1) for p in template.output.parts)
        params = replace(self.params, json_schema=parts_schema(template), max_tokens=json_token_budget(budget))
        messages = template.messages(values)
        ask = messages[-1]["content"]
        texts: list[str] = []
        sets: list[dict] = []
        notes: list[str] = []
        for i in range(count):
            if i:
                yield from ctx.give_way()
            which = f", variant {i + 1} of {count}" if count > 1 else ""
            yield Progress(i, count, f"Writing {template.title}{which}")
            yield Partial(VariantPiece(i, count))  # its JSON is not streamed: the parts show when complete
            messages[-1] = {**messages[-1], "content": unlike(ask, texts)}
            data = yield from structured(ctx, messages, params.reseeded(i))
            which = f" of variant {i + 1}" if count > 1 else ""  # in the notes
            for part in template.output.parts:
                if not part.items:
                    [data[part.name]], note = _end_cleanly(
                        [data[part.name]], part.max_chars or UNLIMITED_CHARS, f"The {part.name}{which}")
                    notes += note
            data = {part.name: data[part.name] for part in template.output.parts}
            sets.append(data)
            texts.append("\n".join(f"{k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in data.items()))
            yield Partial(VariantPiece(i, count, texts[-1], done=True))
        return Draft(template.id, texts, notes, sets[0], all_data=sets)

    # -- rewriting ---------------------------------------------------------------------
    def rewrite(self, text: str, style: str, model: ModelRef, listener=None) -> Job:
        """The text rewritten in a style (Finished carries a Rewritten): its tokens
        stream; the result is the text alone, with the original's paragraph breaks."""
        if style not in REWRITE_STYLES:
            raise UserError(f"Unknown style “{style}”. Styles: {', '.join(REWRITE_STYLES)}.")
        if not text.strip():
            raise UserError("There is no text to rewrite.")
        messages = rw.messages_for(text, style)

        def job(ctx: HostContext) -> Iterator[Event]:
            yield from ctx.engine_for(model)
            result = rw.without_chatter((yield from complete(ctx, messages, self.params, stream=True)), text)
            notes = []
            if rw.misses_goal(style, text, result):
                yield Progress(0, 0, f"The rewrite was not {style}: trying once more")
                again = messages + [{"role": "assistant", "content": result},
                                    {"role": "user", "content": rw.retry_request(style, text, result)}]
                second = rw.without_chatter((yield from complete(ctx, again, self.params)), text)
                result = rw.nearer_goal(style, result, second)
                if rw.misses_goal(style, text, result):
                    notes.append(rw.missed_note(style, text, result))
            yield Finished(Rewritten(rw.with_paragraphs(result, text), notes))

        return self.host.submit(job, listener, kind=JobKind.REWRITE, info={"style": style})

    # -- sentiment -----------------------------------------------------------------------
    def analyze(self, lines: list[str], model: ModelRef, listener=None) -> Job:
        """Every non-blank line labelled (Finished carries an Analysis)."""
        return sentiment.analyze(self.host, self.params, lines, model, listener)

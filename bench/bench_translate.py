"""Translation: how much of each document's structure is kept, per format and
element kind, and the wall time against what the model alone needs.

In one run: the engine's prompt and decode speeds are measured on the starter
model, then one document per format (Markdown, web page, and a Word file made
by pandoc when it is installed) is translated; every generation is counted.
The ideal time is prompt_tokens / prompt_speed + output_tokens / decode_speed;
wall / ideal says what reading, checking and writing cost. Goals: every kind
kept at 100 %, ratio <= 1.15.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_summarize import counted_generations, engine_speeds  # noqa: E402

from desktop_llm.core.paths import HOME_ENV  # noqa: E402

N_CTX = 2048
MARKDOWN = """\
# Field notes

The **orchard** has ten rows of *apple* trees and a [map](https://example.org/map?r=10#north).[^1]

![The north gate](gate.png)

3. Prune in winter
4. Feed with `compost-mix` in spring
   - check the bark
   - count the buds

> An orchard is a slow promise.

| Tree | Rows | Note |
|------|-----:|------|
| Apple | 10 | Sweet and *early* |
| Pear | 4 | Needs a ~~wall~~ fence |

```
prune --rows 1-10
```

[^1]: The map shows the old well.
"""
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Notes</title></head><body>
<h1>Field notes</h1><p>The <strong>orchard</strong> has <a href="https://example.org/map#n">ten rows</a>.<br>
See <img src="gate.png" alt="gate"> and <code>prune --rows</code>.</p>
<ol start="3"><li>Prune in winter</li><li>Feed in spring</li></ol>
<dl><dt>Orchard</dt><dd>A garden of fruit trees.</dd></dl><hr>
<table><tr><th>Tree</th><th>Rows</th></tr><tr><td>Apple</td><td>10</td></tr></table>
<pre><code>prune --rows 1-10</code></pre></body></html>
"""


def documents(folder: Path) -> list[Path]:
    md = folder / "notes.md"
    md.write_text(MARKDOWN, encoding="utf-8")
    html = folder / "notes.html"
    html.write_text(PAGE, encoding="utf-8")
    made = [md, html]
    if shutil.which("pandoc"):
        docx = folder / "notes.docx"
        subprocess.run(["pandoc", md.name, "-o", docx.name], cwd=folder, check=True, capture_output=True)
        made.append(docx)
    return made


def main() -> None:
    os.environ[HOME_ENV] = tempfile.mkdtemp(prefix="bench-translate-")
    from desktop_llm.core.app import AppCore
    from desktop_llm.core.documents.readers import read_document
    from desktop_llm.core.events import Finished

    core = AppCore()
    core.settings.n_ctx = N_CTX
    core.save_settings()
    model = core.resolve_model()
    results = {}
    wall = 0.0
    try:
        list(core.host.load(model).events())
        speeds = {}

        def measure(ctx):
            speeds["prompt"], speeds["decode"] = engine_speeds(ctx.engine)
            yield Finished()

        list(core.host.submit(measure).events())
        with counted_generations() as counted:
            for path in documents(Path(tempfile.mkdtemp(prefix="bench-docs-"))):
                doc = read_document(path)
                t0 = time.perf_counter()
                last = list(core.translator.translate(path, doc, model, "es", "en").events())[-1]
                wall += time.perf_counter() - t0
                if not isinstance(last, Finished):
                    results[path.suffix] = {"failed": str(last)}
                    continue
                results[path.suffix] = {kind: round(100 * out / source, 1) if source else 100.0
                                        for kind, (source, out) in last.result.structure.items()}
    finally:
        core.close()
    ideal = counted["prompt"] / speeds["prompt"] + counted["output"] / speeds["decode"]
    print(json.dumps({
        "bench": "translate", "n_ctx": N_CTX, "structure_kept_percent": results,
        "generations": counted["calls"], "prompt_tokens_read": counted["prompt"],
        "output_tokens": counted["output"], "ideal_s": round(ideal, 2), "wall_s": round(wall, 2),
        "ratio": round(wall / ideal, 3) if ideal else None, "goal_ratio": 1.15,
    }, indent=2))


if __name__ == "__main__":
    main()

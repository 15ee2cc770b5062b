"""`desktop-llm models ...`: thin commands over core.models.manager."""

from __future__ import annotations

import getpass
import sys

from desktop_llm.cli.common import follow, open_core, print_json
from desktop_llm.core.errors import UserError
from desktop_llm.core.events import outcome
from desktop_llm.core.models import hardware, hub_token
from desktop_llm.core.models.downloads import DownloadControl, Transfer
from desktop_llm.core.units import format_size


def cmd_list(args) -> int:
    with open_core() as core:
        rows = core.models.installed()
        paused = core.models.paused()
        if args.json:
            print_json({"installed": [r.as_dict() for r in rows],
                             "unfinished_downloads": [{"repo": m.repo, "file": m.name, "size": m.size,
                                                       "downloaded": have} for m, have in paused]})
            return 0
        for r in rows:
            mark = "*" if r.default else " "
            detail = (f"{r.info.parameters_text} {r.info.quantization}, ctx {r.info.context_length}"
                      if r.info else f"unusable: {r.problem}")
            print(f"{mark} {r.model.name:<40} {r.model.source:<10} {detail}")
        for m, have in paused:
            print(f"  {m.name:<40} unfinished {format_size(have)} of {format_size(m.size)} "
                  f"(run `desktop-llm models download {m.repo} --file {m.name}` to resume)")
        return 0


def cmd_search(args) -> int:
    with open_core() as core:
        hits = core.models.hub().search(args.query, limit=args.limit)
        if args.json:
            print_json([h.as_dict() for h in hits])
        else:
            for h in hits:
                gated = "  (license to accept)" if h.gated else ""
                print(f"{h.repo:<60} {h.downloads:>10,} downloads {h.likes:>6,} likes{gated}")
            if not hits:
                print(f"No GGUF models match '{args.query}'.", file=sys.stderr)
        return 0


def cmd_files(args) -> int:
    with open_core() as core:
        models = core.models.hub().models(args.repo)
        if args.json:
            print_json([m.as_dict() for m in models])
        else:
            for m in models:
                parts = f"  ({len(m.parts)} parts)" if len(m.parts) > 1 else ""
                print(f"{m.name:<60} {format_size(m.size):>10} {m.quant or '?':<8}{parts}")
        return 0


def cmd_download(args) -> int:
    with open_core() as core:
        remote = core.models.remote(args.repo, file=args.file, quant=args.quant)
        control = DownloadControl()
        show = sys.stderr.isatty() and not args.json

        def progress(event) -> None:
            if isinstance(event, Transfer) and show:
                pct = 100 * event.done / event.total if event.total else 100
                sys.stderr.write(f"\r{remote.name}: {pct:5.1f}%  {event.label}\x1b[K")
                sys.stderr.flush()

        try:
            result = outcome(core.models.download(remote, control), progress)
        except UserError:
            if show:
                sys.stderr.write("\n")
            raise
        except KeyboardInterrupt:
            control.pause()
            raise UserError("Download paused; what arrived is kept. Run the same command to resume.") from None
        if show:
            sys.stderr.write("\n")
        if args.json:
            print_json({"repo": result.repo, "file": result.name, "path": str(result.path),
                        "status": result.status, "size": remote.size,
                        "resumed_from": result.resumed_from, "transferred": result.transferred,
                        "sha256_verified": all(p.sha256 for p in remote.parts)})
        else:
            print(f"Downloaded {result.name} to {result.path}", file=sys.stderr)
        return 0


def cmd_import(args) -> int:
    with open_core() as core:
        row = core.models.import_file(args.path)
        if args.json:
            print_json(row.as_dict())
        else:
            facts = f" ({row.info.parameters_text} {row.info.quantization})" if row.info else ""
            print(f"Imported {row.model.name}{facts}.", file=sys.stderr)
        return 0


def cmd_remove(args) -> int:
    with open_core() as core:
        model = core.models.find(args.name)
        if not args.yes and sys.stdin.isatty():
            answer = input(f"Remove {model.name} ({model.path})? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing removed.", file=sys.stderr)
                return 1
        removed = core.models.remove(args.name)
        core.save_settings()
        if args.json:
            print_json({"removed": model.name, "deleted_files": [str(p) for p in removed]})
        else:
            print(f"Removed {model.name}." if removed else f"Forgot {model.name} (the file stays on disk).",
                  file=sys.stderr)
        return 0


def cmd_default(args) -> int:
    with open_core() as core:
        model = core.models.set_default(args.name)
        core.save_settings()
        if args.json:
            print_json({"default": model.name})
        else:
            print(f"{model.name} is now the default model.", file=sys.stderr)
        return 0


def cmd_recommend(args) -> int:
    with open_core() as core:
        hw = hardware.detect()
        entry, estimate = core.models.recommendation(hw)
        if entry is None or estimate is None:
            raise UserError("No catalog model fits this computer comfortably; the starter model still works.")
        if args.json:
            print_json({"recommended": entry.as_dict(), "fit": estimate.as_dict(), "hardware": hw.as_dict()})
        else:
            print(f"{entry.name} ({entry.id}): {entry.good_for}\n{estimate.text}\n"
                  f"Download: desktop-llm models download {entry.id}")
            if hw.gpu_unused_note:
                print(hw.gpu_unused_note, file=sys.stderr)
        return 0


def cmd_catalog(args) -> int:
    with open_core() as core:
        rows = core.models.catalog()
        if args.json:
            print_json([r.as_dict() for r in rows])
        else:
            for r in rows:
                mark = " ".join(m for m in ("embedding" if r.entry.kind == "embedding" else "",
                                            "installed" if r.installed else "") if m)
                print(f"{r.entry.id:<22} {r.entry.parameters:>5}  {r.fit.text:<48} {mark}")
        return 0


def cmd_bench(args) -> int:
    """What this computer does with a model: load, prompt reading, first token, writing."""
    from desktop_llm.core.speed_check import speed_job

    with open_core() as core:
        model = core.resolve_model(args.model)
        report = follow(speed_job(core.host, model), args.json, show_tokens=False)
    if args.json:
        print_json(report.as_dict())
        return 0
    rows = [("Model", f"{report.model} ({report.device})"),
            ("Load", f"{report.load_s:.2f} s"),
            ("Prompt reading", f"{report.prompt_tokens_per_s:.0f} tokens/s ({report.prompt_tokens} tokens)"),
            ("First token", f"{report.first_token_s:.2f} s"),
            ("Writing", f"{report.decode_tokens_per_s:.0f} tokens/s ({report.decode_tokens} tokens)")]
    for name, value in rows:
        print(f"{name:<15} {value}")
    return 0


def cmd_token(args) -> int:
    """Keep a Hugging Face token (for gated or private models) in the system keyring."""
    if args.forget:
        hub_token.set_token(None)
        print("The Hugging Face token is forgotten.", file=sys.stderr)
        return 0
    prompt = "Hugging Face token (typing is hidden): "
    token = (getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline()).strip()
    if not token:
        raise UserError("No token given. Create a read token on your Hugging Face account "
                        "(Settings → Access Tokens) and paste it here.")
    if not hub_token.set_token(token):
        raise UserError("No system keyring is available, so the token cannot be kept. "
                        "Set HF_TOKEN in the environment instead.")
    print("The Hugging Face token is stored in the system keyring.", file=sys.stderr)
    return 0


def add_parser(sub, common) -> None:
    models = sub.add_parser("models", help="installed models, the catalog, Hub search and downloads")
    msub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    p = msub.add_parser("list", parents=[common], help="installed models and unfinished downloads")
    p.set_defaults(func=cmd_list)
    p = msub.add_parser("catalog", parents=[common], help="recommended models with a fit estimate")
    p.set_defaults(func=cmd_catalog)
    p = msub.add_parser("search", parents=[common], help="search the Hub for GGUF models")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(func=cmd_search)
    p = msub.add_parser("files", parents=[common], help="a repository's model files")
    p.add_argument("repo")
    p.set_defaults(func=cmd_files)
    p = msub.add_parser("download", parents=[common], help="download (or resume) a model")
    p.add_argument("repo", help="Hub repository (owner/name) or catalog id")
    p.add_argument("--file", metavar="NAME", help="file in the repository")
    p.add_argument("--quant", metavar="Q", help="quantization, e.g. Q4_K_M (the default)")
    p.set_defaults(func=cmd_download)
    p = msub.add_parser("import", parents=[common], help="add a .gguf file from disk")
    p.add_argument("path")
    p.set_defaults(func=cmd_import)
    p = msub.add_parser("remove", parents=[common], help="remove a downloaded model")
    p.add_argument("name")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_remove)
    p = msub.add_parser("default", parents=[common], help="make a model the default")
    p.add_argument("name")
    p.set_defaults(func=cmd_default)
    p = msub.add_parser("recommend", parents=[common], help="the best catalog model for this computer")
    p.set_defaults(func=cmd_recommend)
    p = sub.add_parser("bench", parents=[common], help="measure a model on this computer: load time, prompt "
                       "reading, first token, writing speed")
    p.set_defaults(func=cmd_bench)
    p = msub.add_parser("token", parents=[common], help="store a Hugging Face token (read from the terminal "
                        "or stdin) in the system keyring, for gated models")
    p.add_argument("--forget", action="store_true", help="delete the stored token")
    p.set_defaults(func=cmd_token)

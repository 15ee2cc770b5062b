"""Fit estimates and GPU offload decisions from real GGUF metadata, the
catalog, imports, the Hugging Face cache and the token store."""

import json
import os
import shutil

import pytest

from desktop_llm import cli
from desktop_llm.core.app import AppCore
from desktop_llm.core.errors import ModelFileError, UserError
from desktop_llm.core.host import EngineConfig, plan_for
from desktop_llm.core.models import fit
from desktop_llm.core.models.catalog import load_catalog
from desktop_llm.core.models.gguf import read_model_info
from desktop_llm.core.models.hardware import Gpu, Hardware
from desktop_llm.core.models.hub_token import get_token, set_token

GB = 1 << 30


def hw(ram_gb=16, free_gb=12, vram_gb=None, supported=True, cores=8):
    gpus = (Gpu("Test GPU", int(vram_gb * GB), int(vram_gb * GB)),) if vram_gb is not None else ()
    return Hardware(int(ram_gb * GB), int(free_gb * GB), gpus, supported, cores)


@pytest.fixture(scope="module")
def info(starter):
    return read_model_info(starter.path)


def test_offload_uses_all_layers_when_they_fit(info):
    plan = fit.plan_offload(info.file_size, info.architecture_facts, 2048, hw(vram_gb=8))
    assert (plan.n_gpu_layers, plan.total_layers) == (30, 30)


def test_offload_uses_as_many_layers_as_fit(info):
    arch = info.architecture_facts
    per_layer = (info.file_size + arch.kv_cache_bytes(2048)) / arch.layers
    vram = fit.COMPUTE_OVERHEAD + per_layer * 10.5
    plan = fit.plan_offload(info.file_size, arch, 2048, hw(vram_gb=vram / GB))
    assert plan.n_gpu_layers == 10
    estimate = fit.estimate(info.file_size, arch, 2048, hw(vram_gb=vram / GB))
    assert estimate.verdict == "gpu" and estimate.text.startswith("Fits with 10 of 30 layers on GPU")


def test_offload_respects_settings_and_cpu_only_builds(info):
    arch = info.architecture_facts
    assert fit.plan_offload(info.file_size, arch, 2048, hw(vram_gb=8), mode="cpu").n_gpu_layers == 0
    assert fit.plan_offload(info.file_size, arch, 2048, hw(vram_gb=8), mode="manual",
                            manual_layers=7).n_gpu_layers == 7
    cpu_build = hw(vram_gb=8, supported=False)
    plan = fit.plan_offload(info.file_size, arch, 2048, cpu_build)
    assert plan.n_gpu_layers == 0
    assert "CMAKE_ARGS=" in cpu_build.gpu_unused_note and "Test GPU" in cpu_build.gpu_unused_note
    assert hw(vram_gb=None, supported=False).gpu_unused_note == ""


def test_this_machine_loads_on_cpu_and_says_why(info):
    plan, gpu_name, notice = plan_for(info, 1024, EngineConfig(n_ctx=1024))
    from desktop_llm.core.models.hardware import detect

    this = detect()
    if not this.gpu_offload_supported:
        assert plan.n_gpu_layers == 0
        assert notice == this.gpu_unused_note


def test_fit_verdicts_for_cpu_machines():
    [big] = [e for e in load_catalog() if e.id == "llama-3.1-8b"]
    arch, size = big.architecture, big.estimated_size()
    assert fit.estimate(size, arch, 4096, hw(ram_gb=32, free_gb=24)).verdict == "fits"
    assert fit.estimate(size, arch, 4096, hw(ram_gb=4, free_gb=3)).verdict == "too_large"
    assert fit.estimate(size, arch, 4096, hw(ram_gb=16, free_gb=4)).verdict == "tight"
    huge_ctx = fit.estimate(size, arch, 131072, hw(ram_gb=16, free_gb=14))
    assert huge_ctx.verdict == "too_large"  # the KV cache for 128k tokens is 16 GB alone


def test_catalog_entries_are_complete():
    catalog = load_catalog()
    chat = [e for e in catalog if e.kind == "chat"]
    embedding = [e for e in catalog if e.kind == "embedding"]
    assert 10 <= len(chat) <= 15 and len(chat) + len(embedding) == len(catalog)
    for e in catalog:
        assert e.repo.count("/") == 1 and all(f.endswith(".gguf") for f in e.files.values())
        assert e.license and e.languages and e.good_for and e.default_quant in e.files
    for e in chat:
        assert set(e.files) == {"Q4_K_M", "Q5_K_M", "Q8_0"} and e.default_quant == "Q4_K_M"
        assert e.context_length >= 4096 and not e.query_prefix
    # embedding models: an English one, a small one, one for many languages, each with its training's prefixes
    assert {"nomic-embed-text-v1.5", "bge-small-en-v1.5", "multilingual-e5-small"} == {e.id for e in embedding}
    assert all(e.query_prefix for e in embedding) and max(len(e.languages) for e in embedding) > 10


def test_recommend_scales_with_the_machine():
    catalog = load_catalog()
    small = fit.recommend(catalog, hw(ram_gb=8, free_gb=5, cores=2))
    laptop = fit.recommend(catalog, hw(ram_gb=16, free_gb=10, cores=8))
    gpu = fit.recommend(catalog, hw(ram_gb=32, free_gb=24, vram_gb=24, cores=8))
    assert small.parameter_count < laptop.parameter_count < gpu.parameter_count
    assert fit.recommend(catalog, hw(ram_gb=0.5, free_gb=0.2)) is None


def test_models_recommend_cli(app_home, capsys):
    assert cli.main(["models", "recommend", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["recommended"]["id"] in {e.id for e in load_catalog()}
    assert out["fit"]["verdict"] in ("fits", "gpu")


def test_import_inspects_and_trial_loads_then_offers_the_model(app_home, starter, tmp_path, capsys):
    copy = tmp_path / "my-model.gguf"
    shutil.copy(starter.path, copy)
    assert cli.main(["models", "import", str(copy), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["name"] == "my-model" and row["source"] == "imported" and row["chat_template"] is True
    core = AppCore()
    assert core.resolve_model("my-model").path == copy
    assert cli.main(["models", "default", "my-model"]) == 0
    assert AppCore().settings.default_model == "my-model"
    assert cli.main(["models", "remove", "my-model", "--yes"]) == 0
    assert copy.exists()  # the user's own file is only forgotten, never deleted
    assert AppCore().settings.default_model == ""
    assert "my-model" not in [m.name for m in AppCore().registry.installed()]


@pytest.mark.parametrize("content", [b"not a model at all", b"GGUF" + os.urandom(4000)])
def test_a_malformed_gguf_import_is_refused(app_home, tmp_path, content, capsys):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(content)
    assert cli.main(["models", "import", str(bad)]) == 1
    assert "bad.gguf" in capsys.readouterr().err
    with pytest.raises(ModelFileError):
        AppCore().models.import_file(bad)
    assert "bad" not in [m.name for m in AppCore().registry.installed()]


def test_hf_cache_models_are_listed(app_home, starter, capsys):
    repo = app_home.parent / "hf-home" / "hub" / "models--org--cached-GGUF"
    (repo / "blobs").mkdir(parents=True)
    (repo / "snapshots" / "abc123").mkdir(parents=True)
    shutil.copy(starter.path, repo / "blobs" / "b179c952")  # huggingface_hub's layout: blob + symlink
    os.symlink("../../blobs/b179c952", repo / "snapshots" / "abc123" / "cached-Q4_1.gguf")
    assert cli.main(["models", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["installed"]
    [cached] = [r for r in rows if r["source"] == "hf-cache"]
    assert cached["name"] == "cached-Q4_1" and cached["quantization"] == "Q4_1"
    with pytest.raises(UserError, match="Hugging Face cache"):
        AppCore().models.remove("cached-Q4_1")


def test_the_starter_cannot_be_removed(app_home):
    with pytest.raises(UserError, match="cannot be removed"):
        AppCore().models.remove("starter")


def test_token_falls_back_to_the_session_without_a_keyring(app_home, monkeypatch):
    assert get_token() is None
    assert set_token("hf_abc") is False  # no keyring here: kept for this session only
    assert get_token() == "hf_abc"
    monkeypatch.setenv("HF_TOKEN", "hf_env")
    assert get_token() == "hf_env"
    set_token(None)
    monkeypatch.delenv("HF_TOKEN")
    assert get_token() is None
    settings_text = (app_home / "config" / "settings.json").read_text()
    assert "hf_abc" not in settings_text

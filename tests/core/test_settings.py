"""Paths and settings."""

import json

from desktop_llm.core.files import atomic_write_text
from desktop_llm.core.paths import AppPaths
from desktop_llm.core.settings import Settings


def test_home_puts_everything_under_one_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DESKTOP_LLM_HOME", str(tmp_path / "portable"))
    paths = AppPaths.from_env().ensure()
    for p in (paths.settings_file, paths.history_db, paths.models_dir):
        assert str(p).startswith(str(tmp_path / "portable"))
    assert paths.models_dir.is_dir()


def test_without_home_uses_the_platform_folders(monkeypatch):
    monkeypatch.delenv("DESKTOP_LLM_HOME", raising=False)
    paths = AppPaths.from_env()
    assert "desktop-llm" in str(paths.config_dir) and "desktop-llm" in str(paths.data_dir)


def test_settings_round_trip(tmp_path):
    f = tmp_path / "config" / "settings.json"
    s = Settings(n_ctx=2048, temperature=0.2, default_model="mine", system_prompt="Be kind.")
    s.save(f)
    assert Settings.load(f) == s
    assert not [p for p in f.parent.iterdir() if p.name.endswith(".tmp")]


def test_bad_settings_fall_back_to_defaults(tmp_path):
    f = tmp_path / "settings.json"
    f.write_text("{ this is not json")
    assert Settings.load(f) == Settings()
    f.write_text(json.dumps({"n_ctx": "huge", "temperature": 1, "unknown": 5, "max_tokens": 99}))
    loaded = Settings.load(f)
    assert loaded.n_ctx == Settings().n_ctx  # wrong type ignored
    assert loaded.temperature == 1.0 and isinstance(loaded.temperature, float)
    assert loaded.max_tokens == 99
    assert Settings.load(tmp_path / "missing.json") == Settings()
    f.write_text(json.dumps({"kv_cache_type": "q3_weird", "n_batch": 100000, "flash_attn": True, "n_threads": -4}))
    engine = Settings.load(f)
    assert engine.kv_cache_type == "f16" and engine.n_batch == 4096 and engine.flash_attn
    assert engine.n_threads == 0  # automatic: one per core


def test_a_quantized_kv_cache_is_counted_in_the_fit_estimate():
    from desktop_llm.core.engine_options import EngineOptions
    from desktop_llm.core.models.catalog import Architecture

    arch = Architecture(layers=32, kv_heads=8, head_dim=128)
    f16, q4 = (arch.kv_cache_bytes(32768, EngineOptions(kv_cache_type=t).kv_bytes_per_value) for t in ("f16", "q4_0"))
    assert f16 == 4 << 30 and q4 == int(f16 * 18 / 64)  # 4 GiB at 16 bits; 4.5 bits a value at q4_0
    assert EngineOptions(kv_cache_type="q8_0").uses_flash_attn and not EngineOptions().uses_flash_attn


def test_atomic_write_replaces_whole_file(tmp_path):
    f = tmp_path / "a.txt"
    atomic_write_text(f, "first version, rather long")
    atomic_write_text(f, "second")
    assert f.read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_core_decides_which_setting_changes_reload_the_model(core):
    from dataclasses import replace

    settings = core.settings
    assert not core.update_settings(replace(settings, theme="dark", temperature=0.2, api_server=True))
    assert core.settings.theme == "dark" and Settings.load(core.paths.settings_file).theme == "dark"
    for change in ({"n_ctx": 2048}, {"default_model": "other"}, {"gpu_mode": "cpu"}, {"n_gpu_layers": 3},
                   {"n_threads": 1}):
        assert core.update_settings(replace(core.settings, **change)), change

"""GGUF inspection and the child-process trial load refuse bad files."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from desktop_llm.core.errors import ModelFileError
from desktop_llm.core.models import LocalModel
from desktop_llm.core.models.gguf import ModelInfoCache, read_model_info
from desktop_llm.core.models.guard import ModelGuard, trial_load
from desktop_llm.core.paths import AppPaths


def test_inspects_the_starter_model(info_cache_file, starter):
    info = ModelInfoCache(info_cache_file).inspect(starter.path)
    assert info.architecture == "llama"
    assert info.context_length == 8192
    assert info.block_count == 30
    assert info.quantization == "Q4_1"
    assert info.parameters_text == "135M"
    assert info.has_chat_template and "<|im_start|>" in info.chat_template
    assert info.file_size == starter.path.stat().st_size


def test_cache_is_keyed_by_file_identity(tmp_path, info_cache_file, starter):
    cache = ModelInfoCache(info_cache_file)
    copy = tmp_path / "copy.gguf"
    shutil.copy(starter.path, copy)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(copy.read_bytes()[: 40_000_000])
    with pytest.raises(ModelFileError, match="incomplete: 40,000,000 of"):
        cache.inspect(cut)  # not served from another file's entry


def test_refuses_a_file_that_is_not_gguf(tmp_path):
    f = tmp_path / "notes.gguf"
    f.write_text("these are my notes, not a model")
    with pytest.raises(ModelFileError, match="not a GGUF model file"):
        read_model_info(f)


def test_refuses_an_empty_file(tmp_path):
    f = tmp_path / "empty.gguf"
    f.write_bytes(b"")
    with pytest.raises(ModelFileError, match="not a GGUF"):
        read_model_info(f)


@pytest.mark.parametrize("keep,said", [
    (1_000, "cut off inside its header"),
    (2_000_000, "cut off inside its header|incomplete: 2,000,000 of"),
    (98_000_000, r"incomplete: 98,000,000 of [\d,]+ bytes \(99\.\d%\)"),  # a download cut at 99%
])
def test_a_truncated_file_says_how_much_is_there(tmp_path, starter, keep, said):
    f = tmp_path / "cut.gguf"
    with open(starter.path, "rb") as src:
        f.write_bytes(src.read(keep))
    with pytest.raises(ModelFileError, match=said) as caught:
        read_model_info(f)
    assert "download it again" in caught.value.message.lower()


@pytest.mark.parametrize("version,said", [(99, "newer than this version of desktop-llm reads"),
                                          (1, "old format")])
def test_a_gguf_version_llama_cpp_cannot_read_is_named(tmp_path, starter, version, said):
    import struct

    f = tmp_path / "other-version.gguf"
    data = bytearray(starter.path.read_bytes()[:4096])
    data[4:8] = struct.pack("<I", version)
    f.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=said) as caught:
        read_model_info(f)
    assert ("will not help" in caught.value.message) == (version == 99)


def test_a_model_whose_chat_template_cannot_render_is_refused_at_import(tmp_path, starter):
    import subprocess
    import sys

    f = tmp_path / "bad-template.gguf"
    subprocess.run([sys.executable, "-m", "gguf.scripts.gguf_new_metadata", str(starter.path), str(f),
                    "--chat-template", "{{ messages[0].no_such_thing() }}", "--force"],
                   check=True, capture_output=True, timeout=120)
    assert read_model_info(f).has_chat_template  # the header is fine
    with pytest.raises(ModelFileError, match="chat template cannot format a conversation"):
        trial_load(f)


def test_refuses_a_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        read_model_info(tmp_path / "nope.gguf")


def _tiny_gguf(path, with_tokenizer=True):
    """A well-formed GGUF header whose weights llama.cpp cannot use."""
    import gguf

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_context_length(128)
    writer.add_block_count(1)
    if with_tokenizer:
        writer.add_tokenizer_model("gpt2")
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def test_refuses_a_gguf_without_tokenizer(tmp_path):
    f = tmp_path / "no-tokenizer.gguf"
    _tiny_gguf(f, with_tokenizer=False)
    with pytest.raises(ModelFileError, match="no tokenizer"):
        read_model_info(f)


def test_trial_load_catches_a_file_llama_cpp_cannot_load(tmp_path):
    f = tmp_path / "broken-weights.gguf"
    _tiny_gguf(f)
    info = read_model_info(f)  # the header alone looks fine
    assert info.architecture == "llama"
    with pytest.raises(ModelFileError, match="could not be loaded"):
        trial_load(f)


def test_guard_trusts_a_file_after_a_good_trial_load(tmp_path, starter, info_cache_file):
    paths = AppPaths(config_dir=tmp_path / "c", data_dir=tmp_path / "d").ensure()
    shutil.copy(info_cache_file, paths.data_dir / "model-info-cache.json")
    copy = tmp_path / "mine.gguf"
    shutil.copy(starter.path, copy)
    guard = ModelGuard(paths)
    model = LocalModel("mine", copy, "file")
    assert guard.check(model).architecture == "llama"
    assert str(copy.resolve()) in paths.trusted_models_file.read_text()
    broken = tmp_path / "broken.gguf"
    _tiny_gguf(broken)
    with pytest.raises(ModelFileError):
        guard.check(LocalModel("broken", broken, "file"))
    assert str(broken.resolve()) not in paths.trusted_models_file.read_text()


def test_the_header_reads_as_the_gguf_package_reads_it(starter, split_starter):
    """Our one-pass header walk (a tenth of a second, where the package's reader took seconds) gives the
    same fields, tensor types and end of data as the reference reader, on real files."""
    import gguf

    from desktop_llm.core.models import gguf_layout

    for path in [starter.path, *split_starter]:
        reference = gguf.GGUFReader(path)
        header = gguf_layout.read_header(Path(path))
        for name, field in reference.fields.items():
            if name.startswith("GGUF."):
                continue
            kind, ours = field.types[0], header.fields[name]
            if kind == gguf.GGUFValueType.ARRAY and field.types[-1] == gguf.GGUFValueType.STRING:
                assert ours == len(field.data), name  # a vocabulary: its length only
            elif kind == gguf.GGUFValueType.ARRAY:
                assert ours == pytest.approx(list(field.contents())), name
            else:
                assert ours == pytest.approx(field.contents()), name
        assert header.tensor_types == [int(t.tensor_type) for t in reference.tensors]
        assert header.data_end == max(t.data_offset + int(t.n_bytes) for t in reference.tensors)

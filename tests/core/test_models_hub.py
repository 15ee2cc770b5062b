"""Hub search, file lists and downloads against a local server that speaks
the Hub's protocol and serves the real starter GGUF."""

import hashlib
import io
import json
import re
import signal
from pathlib import Path

import keyring
import keyring.backend
import pytest

from desktop_llm import cli
from desktop_llm.core import secrets
from desktop_llm.core.app import AppCore
from desktop_llm.core.errors import NotFound, UserError
from desktop_llm.core.events import Failed, Finished
from desktop_llm.core.models import hub_token
from desktop_llm.core.models.downloads import DownloadControl, Transfer, paused_downloads
from desktop_llm.core.models.hub import Hub, RemoteFile, group_models, quantization_of
from desktop_llm.core.units import format_size

REPO = "test-org/SmolLM2-135M-Instruct-GGUF"


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """The CLI in this process; its SIGPIPE default (quiet `| head`) would
    let the local server's broken pipes kill the test run, so it is undone."""
    previous = signal.getsignal(signal.SIGPIPE)
    try:
        code = cli.main(list(argv))
    finally:
        signal.signal(signal.SIGPIPE, previous)
    out, err = capsys.readouterr()
    return code, out, err


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def download_events(core, remote, control=None):
    return list(core.models.download(remote, control))


@pytest.fixture
def core(app_home):
    c = AppCore()
    yield c
    c.close()


def test_search_lists_gguf_repos_by_downloads(hub, capsys):
    code, out, _ = run_cli(capsys, "models", "search", "test-org", "--json")
    assert code == 0
    hits = json.loads(out)
    assert [h["repo"] for h in hits] == [
        REPO, "test-org/Gated-GGUF", "test-org/Tiny-Split-GGUF", "test-org/Huge-GGUF"]
    assert hits[0] == {"repo": REPO, "downloads": 1200, "likes": 30, "gated": False}
    assert hits[1]["gated"] is True
    assert any(r.startswith("GET /api/models?") and "filter=gguf" in r for r in hub.state.requests)


def test_files_show_size_and_quant_and_group_split_parts(hub, capsys, starter, split_starter):
    code, out, _ = run_cli(capsys, "models", "files", REPO, "--json")
    assert code == 0
    assert json.loads(out) == [{"file": starter.path.name, "size": starter.path.stat().st_size,
                                "quant": "Q4_1", "parts": [starter.path.name]}]  # README left out
    code, out, _ = run_cli(capsys, "models", "files", "test-org/Tiny-Split-GGUF", "--json")
    [split] = json.loads(out)
    assert split["file"] == "tiny-Q4_1.gguf" and split["quant"] == "Q4_1"
    assert split["parts"] == ["tiny-Q4_1-00001-of-00002.gguf", "tiny-Q4_1-00002-of-00002.gguf"]
    assert split["size"] == sum(p.stat().st_size for p in split_starter)


def test_unknown_repo_and_repo_without_models_are_explained(hub, capsys):
    code, _, err = run_cli(capsys, "models", "files", "test-org/nothing-here")
    assert code == 1 and "No model repository 'test-org/nothing-here'" in err
    code, _, err = run_cli(capsys, "models", "files", "test-org/no-models")
    assert code == 1 and "has no GGUF model files" in err


@pytest.mark.parametrize("name,quant", [
    ("Qwen2.5-7B-Instruct-Q4_K_M.gguf", "Q4_K_M"), ("model.Q8_0.gguf", "Q8_0"),
    ("llama-3-8b-IQ4_XS-00001-of-00003.gguf", "IQ4_XS"), ("phi-f16.gguf", "F16"), ("plain.gguf", ""),
])
def test_quantization_is_read_from_the_file_name(name, quant):
    assert quantization_of(name) == quant


def test_a_split_model_with_a_missing_part_is_not_offered():
    files = [RemoteFile("m-Q4_K_M-00001-of-00003.gguf", 1, None), RemoteFile("m-Q4_K_M-00003-of-00003.gguf", 1, None)]
    assert group_models("r", "c", files) == []


def test_download_reports_progress_verifies_and_installs_a_loadable_model(hub, core, starter):
    remote = Hub().model(REPO, quant="Q4_1")
    events = download_events(core, remote)
    transfers = [e for e in events if isinstance(e, Transfer)]
    assert transfers and transfers[-1].done == transfers[-1].total == starter.path.stat().st_size
    assert all(a.done <= b.done for a, b in zip(transfers, transfers[1:]))
    size = format_size(starter.path.stat().st_size)
    assert re.match(rf"{size} of {size}, [\d.]+ [KMG]?B/s", transfers[-1].label)
    result = events[-1].result
    assert isinstance(events[-1], Finished) and result.status == "done"
    assert sha256_of(result.path) == sha256_of(starter.path)
    assert not list(result.path.parent.glob("*.part*"))  # nothing left behind
    [row] = [r for r in core.models.installed() if r.model.path == result.path]
    assert row.model.source == "downloaded" and row.info.quantization == "Q4_1"
    # It really loads (first through the child-process trial load).
    job = core.host.load(core.resolve_model(str(result.path)))
    loaded = [e for e in job.events() if isinstance(e, Finished)][0].result
    assert loaded.model.path == result.path and loaded.device == "CPU"


def test_a_connection_cut_twice_is_taken_up_again_within_the_same_download(hub, core, starter, monkeypatch):
    from desktop_llm.core.models.downloads import transfer

    monkeypatch.setattr(transfer, "RETRY_DELAYS", (0.3, 0.6, 1.0))  # the same backoff, shorter
    size = starter.path.stat().st_size
    remote = Hub().model(REPO, quant="Q4_1")
    hub.state.cuts = [size // 4, size // 4]  # the first request and the next are cut
    events = download_events(core, remote)
    result = events[-1].result
    assert result.status == "done" and sha256_of(result.path) == sha256_of(starter.path)
    notes = {e.note for e in events if getattr(e, "note", "")}
    assert any("trying again" in n and "(1 of 3)" in n for n in notes)
    assert 0 <= hub.state.body_bytes_sent - size <= size // 100  # each retry asked only for what was missing


def test_a_cut_transfer_resumes_and_resends_little(hub, core, starter, monkeypatch):
    from desktop_llm.core.models.downloads import transfer

    monkeypatch.setattr(transfer, "RETRY_DELAYS", (0.2,))
    size = starter.path.stat().st_size
    remote = Hub().model(REPO, quant="Q4_1")
    hub.state.cuts = [size // 3, 0]  # cut, and the one retry gets nothing: it stops and says so
    events = download_events(core, remote)
    assert isinstance(events[-1], Failed) and "connection dropped" in events[-1].user_message
    [(pending, have)] = paused_downloads(core.models.models_dir)
    assert pending.name == remote.name and 0 < have <= size // 3
    sent_before = hub.state.body_bytes_sent
    events = download_events(core, remote)  # a new run, as after a restart
    result = events[-1].result
    assert result.status == "done" and result.resumed_from == have
    resent = hub.state.body_bytes_sent - sent_before - (size - size // 3)
    assert 0 <= resent <= size // 100
    assert sha256_of(result.path) == sha256_of(starter.path)


def test_pause_keeps_the_part_and_resume_finishes(hub, core, starter):
    remote = Hub().model(REPO, quant="Q4_1")
    control = DownloadControl()
    events = []
    for event in core.models.download(remote, control):
        events.append(event)
        if isinstance(event, Transfer) and event.done > 0:
            control.pause()
    assert events[-1].result.status == "paused"
    assert paused_downloads(core.models.models_dir)
    result = download_events(core, remote)[-1].result
    assert result.status == "done" and result.resumed_from > 0
    assert sha256_of(result.path) == sha256_of(starter.path)


def test_corrupted_bytes_are_refused_and_discarded(hub, core, capsys):
    hub.state.corrupt = True
    code, _, err = run_cli(capsys, "models", "download", REPO, "--quant", "Q4_1")
    assert code == 1 and "damaged in transit" in err and "sha256" in err
    folder = core.models.models_dir / REPO.replace("/", "__")
    assert not list(folder.glob("*.gguf")) and not list(folder.glob("*.part*"))
    assert not [r for r in core.models.installed() if r.model.source == "downloaded"]


def test_gated_repo_explains_401_and_works_with_a_token(hub, core, capsys, monkeypatch):
    code, _, err = run_cli(capsys, "models", "download", "test-org/Gated-GGUF", "--quant", "Q4_1")
    assert code == 1
    assert f"{hub.url}/test-org/Gated-GGUF" in err and "token" in err and "license" in err
    assert not list(core.models.models_dir.rglob("*.part*"))  # a refused download leaves nothing behind
    code, out, _ = run_cli(capsys, "models", "list", "--json")
    assert json.loads(out)["unfinished_downloads"] == []
    monkeypatch.setenv("HF_TOKEN", "hf_a-token-without-access")
    code, _, err = run_cli(capsys, "models", "download", "test-org/Gated-GGUF", "--quant", "Q4_1")
    assert code == 1 and "token has no access" in err and "the account the token belongs to" in err
    monkeypatch.setenv("HF_TOKEN", hub.state.token)
    code, out, _ = run_cli(capsys, "models", "download", "test-org/Gated-GGUF", "--quant", "Q4_1", "--json")
    assert code == 0 and json.loads(out)["status"] == "done"


def test_not_enough_disk_space_is_refused_before_any_transfer(hub, core, capsys):
    code, _, err = run_cli(capsys, "models", "download", "test-org/Huge-GGUF")
    assert code == 1 and "Not enough disk space" in err
    assert hub.state.body_bytes_sent == 0
    assert not any("/resolve/" in r for r in hub.state.requests)


def test_offline_mode_makes_no_connection(hub, core, capsys):
    for argv in (["models", "search", "qwen"], ["models", "files", REPO],
                 ["models", "download", REPO, "--quant", "Q4_1"]):
        code, _, err = run_cli(capsys, "--offline", *argv)
        assert code == 1 and "Offline mode is on" in err
    code, out, _ = run_cli(capsys, "--offline", "models", "catalog", "--json")
    assert code == 0 and len(json.loads(out)) >= 10  # the catalog still browses
    core.settings.offline = True
    core.save_settings()
    with pytest.raises(UserError, match="Offline mode"):
        AppCore().models.hub().search("x")
    assert hub.state.requests == []


def test_an_unreachable_hub_is_said_at_once_with_what_to_check(core, monkeypatch):
    """A Hub that cannot be reached fails within seconds, not after the client's retries."""
    import time

    for unreachable in ("http://hub.invalid", "http://127.0.0.1:9"):  # no such name; nobody listening
        monkeypatch.setenv("HF_ENDPOINT", unreachable)
        started = time.monotonic()
        with pytest.raises(UserError, match="Cannot reach the Hugging Face Hub") as caught:
            core.models.hub().search("qwen")
        assert time.monotonic() - started < 4 and "Offline mode" in caught.value.message


def test_split_model_downloads_as_one_model_and_loads(hub, core, split_starter):
    """A real gguf-split model: both parts verified, one model listed, its
    size the sum of the parts, loaded (from part 1) by llama.cpp."""
    remote = Hub().model("test-org/Tiny-Split-GGUF", quant="Q4_1")
    events = download_events(core, remote)
    assert isinstance(events[-1], Finished) and events[-1].result.status == "done"
    assert events[-2].done == remote.size == sum(p.stat().st_size for p in split_starter)  # one progress bar
    folder = core.models.models_dir / "test-org__Tiny-Split-GGUF"
    assert sorted(p.name for p in folder.iterdir()) == [p.name for p in split_starter]
    [row] = [r for r in core.models.installed() if r.model.source == "downloaded"]
    assert row.model.path.name == "tiny-Q4_1-00001-of-00002.gguf" and row.info.file_size == remote.size
    job = core.host.load(row.model)
    loaded = [e for e in job.events() if isinstance(e, (Finished, Failed))][-1]
    assert isinstance(loaded, Finished) and loaded.result.model.path == row.model.path
    (folder / "tiny-Q4_1-00002-of-00002.gguf").rename(folder / "elsewhere.gguf")  # a part gone missing
    with pytest.raises(UserError, match="first of 2 parts.*tiny-Q4_1-00002-of-00002.gguf cannot be found"):
        core.models.import_file(folder / "tiny-Q4_1-00001-of-00002.gguf")
    (folder / "elsewhere.gguf").rename(folder / "tiny-Q4_1-00002-of-00002.gguf")
    assert core.models.remove(row.model.name) and not folder.exists()


def test_catalog_id_downloads_its_file(hub, core, capsys):
    code, out, _ = run_cli(capsys, "models", "download", "qwen2.5-0.5b", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["repo"] == "bartowski/Qwen2.5-0.5B-Instruct-GGUF"
    assert Path(result["path"]).name == "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf"
    code, _, err = run_cli(capsys, "models", "download", "qwen2.5-0.5b", "--quant", "Q8_0")
    assert code == 1 and "has no file Qwen2.5-0.5B-Instruct-Q8_0.gguf" in err


def test_unknown_quant_lists_what_exists(hub):
    with pytest.raises(NotFound, match="Available: Q4_1"):
        Hub().model(REPO, quant="Q5_K_M")


def test_a_download_killed_mid_way_resumes_in_a_new_process(hub, core, starter):
    """SIGKILL the CLI mid-download (no cleanup at all); the next run carries on."""
    import subprocess
    import sys
    import time

    hub.state.rate_limit = 25_000_000  # bytes/s: the 98 MB file takes about 4 s
    folder = core.models.models_dir / REPO.replace("/", "__")
    state_file = folder / f"{starter.path.name}.part.json"
    argv = [sys.executable, "-m", "desktop_llm", "models", "download", REPO, "--quant", "Q4_1", "--json"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if state_file.exists() and json.loads(state_file.read_text() or "{}").get("synced", 0) > 0:
                break
            time.sleep(0.05)
        else:
            pytest.fail("no bytes were synced to disk")
        proc.kill()
    finally:
        proc.wait(10)
    synced = json.loads(state_file.read_text())["synced"]
    assert 0 < synced < starter.path.stat().st_size
    hub.state.rate_limit = None
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "done" and report["resumed_from"] >= synced
    assert sha256_of(Path(report["path"])) == sha256_of(starter.path)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring kept in memory: the system keyring's part, in tests."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.stored = {}

    def get_password(self, service, username):
        return self.stored.get((service, username))

    def set_password(self, service, username, password):
        self.stored[(service, username)] = password

    def delete_password(self, service, username):
        self.stored.pop((service, username), None)


def test_token_command_stores_the_token_in_the_keyring(hub, core, capsys, monkeypatch):
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    try:
        monkeypatch.setattr("sys.stdin", io.StringIO(hub.state.token + "\n"))
        code, _, err = run_cli(capsys, "models", "token")
        assert code == 0 and "stored in the system keyring" in err
        assert memory.stored == {(hub_token.SERVICE, hub_token.ACCOUNT): hub.state.token}
        assert hub.state.token not in core.paths.settings_file.read_text()
        secrets._session.clear()  # a new process: only the keyring has it
        code, out, _ = run_cli(capsys, "models", "download", "test-org/Gated-GGUF", "--quant", "Q4_1", "--json")
        assert code == 0 and json.loads(out)["status"] == "done"
        code, _, err = run_cli(capsys, "models", "token", "--forget")
        assert code == 0 and memory.stored == {} and hub_token.get_token() is None
    finally:
        keyring.set_keyring(previous)
    monkeypatch.setattr("sys.stdin", io.StringIO("hf_abc\n"))  # the tests' keyring refuses everything
    code, _, err = run_cli(capsys, "models", "token")
    assert code == 1 and "No system keyring is available" in err and "HF_TOKEN" in err


def test_two_processes_downloading_one_model_never_install_a_corrupt_file(hub, core, starter):
    """The window and a command (or two commands) at once: one owns the part file (an OS lock),
    the other is refused with a message; what is installed is the model, verified."""
    import subprocess
    import sys

    hub.state.rate_limit = 40_000_000  # bytes/s: about 2.5 s for the 98 MB file, so the runs overlap
    argv = [sys.executable, "-m", "desktop_llm", "models", "download", REPO, "--quant", "Q4_1", "--json"]
    runs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(120), *p.communicate()) for p in runs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1], results
    refused = next(err for code, _, err in results if code == 1)
    assert "being downloaded already" in refused
    report = json.loads(next(out for code, out, _ in results if code == 0))
    assert report["status"] == "done" and report["sha256_verified"]
    assert sha256_of(Path(report["path"])) == sha256_of(starter.path)
    again = subprocess.run(argv, capture_output=True, text=True, timeout=120)  # the lock was let go
    assert again.returncode == 0, again.stderr


def test_the_checksum_covers_the_bytes_in_the_file_not_the_stream(hub, core, starter):
    """Bytes another program writes into the part file while it downloads are caught: the
    file that would be renamed into place is not the model, so it is discarded."""
    hub.state.rate_limit = 40_000_000
    remote = core.models.remote(REPO, quant="Q4_1")
    part = core.models.models_dir / REPO.replace("/", "__") / f"{starter.path.name}.part"
    tampered = False
    events = []
    for event in core.models.download(remote):
        events.append(event)
        if isinstance(event, Transfer) and event.done > (8 << 20) and not tampered:
            with open(part, "ab") as other_writer:
                other_writer.write(b"\0" * 4096)
            tampered = True
    assert tampered and isinstance(events[-1], Failed)
    assert "changed on disk" in events[-1].user_message or "checksum" in events[-1].user_message
    assert not (part.parent / starter.path.name).exists() and not part.exists()


def test_a_downloaded_copy_of_the_bundled_model_is_told_apart(hub, core, starter, capsys):
    code, _, err = run_cli(capsys, "models", "download", REPO, "--quant", "Q4_1")
    assert code == 0, err
    names = {m.name: m.source for m in core.registry.installed()}
    assert names[starter.name] == "bundled" and names[f"{starter.name} (downloaded)"] == "downloaded"
    assert core.resolve_model(f"{starter.name} (downloaded)").source == "downloaded"

"""The download queue: one download at a time on a worker thread, pause,
resume (also in a new session), cancel, failures that do not stop the queue."""

import threading
import time

from desktop_llm.core.app import AppCore
from desktop_llm.core.models.download_queue import DownloadQueue
from desktop_llm.core.models.download_queue import DownloadState as S

REPO = "test-org/SmolLM2-135M-Instruct-GGUF"
SLOW = 20 << 20  # bytes per second: the starter takes about five seconds


class Watcher:
    """Records what the queue reports, from its worker thread."""

    def __init__(self, queue: DownloadQueue):
        self.seen = []
        self.changed = threading.Condition()
        queue.add_listener(self)

    def __call__(self, item):
        with self.changed:
            self.seen.append(item)
            self.changed.notify_all()

    def wait(self, predicate, timeout=60):
        deadline = time.monotonic() + timeout
        with self.changed:
            while not any(predicate(i) for i in self.seen):
                left = deadline - time.monotonic()
                assert left > 0, f"timed out; saw {[(i.id, i.status, i.done) for i in self.seen[-5:]]}"
                self.changed.wait(left)
        return next(i for i in reversed(self.seen) if predicate(i))


def part_files(core):
    return sorted(p.name for p in core.models.models_dir.rglob("*.part*"))


def test_queue_runs_downloads_one_after_another_with_progress(hub, core, starter):
    queue = core.downloads
    watch = Watcher(queue)
    first = queue.add(core.models.remote(REPO, quant="Q4_1"))
    second = queue.add(core.models.remote("qwen2.5-0.5b"))
    assert queue.add(core.models.remote(REPO, quant="Q4_1")).id == first.id  # not queued twice
    done = watch.wait(lambda i: i.id == second.id and i.status == S.DONE)
    assert done.path.name == "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf" and done.done == done.total
    firsts = [i for i in watch.seen if i.id == first.id]
    assert firsts[-1].status == S.DONE and any(i.status == S.RUNNING and "/s" in i.text for i in firsts)
    started_second = next(n for n, i in enumerate(watch.seen) if i.id == second.id and i.status == S.RUNNING)
    finished_first = next(n for n, i in enumerate(watch.seen) if i.id == first.id and i.status == S.DONE)
    assert finished_first < started_second  # one at a time
    names = {r.model.path.name for r in core.models.installed()}
    assert {starter.path.name, "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf"} <= names


def test_paused_download_is_listed_in_the_next_session_and_resumes(hub, app_home, starter):
    hub.state.rate_limit = SLOW
    core = AppCore()
    try:
        watch = Watcher(core.downloads)
        item = core.downloads.add(core.models.remote(REPO, quant="Q4_1"))
        watch.wait(lambda i: i.status == S.RUNNING and i.done > 0)
        core.downloads.pause(item.id)
        paused = watch.wait(lambda i: i.status == S.PAUSED)
        assert 0 < paused.done < paused.total and "Paused at" in paused.text
    finally:
        core.close()
    hub.state.rate_limit = None
    sent_before = hub.state.body_bytes_sent
    core = AppCore()  # "tomorrow"
    try:
        [listed] = core.downloads.items()
        assert listed.status == S.PAUSED and listed.done > 0 and listed.remote.name == starter.path.name
        watch = Watcher(core.downloads)
        core.downloads.resume(listed.id)
        done = watch.wait(lambda i: i.status == S.DONE)
        resent = hub.state.body_bytes_sent - sent_before - (listed.total - listed.done)
        assert 0 <= resent <= listed.total // 100
        assert done.path.read_bytes() == starter.path.read_bytes()
        assert part_files(core) == []
    finally:
        core.close()


def test_cancel_deletes_what_arrived(hub, core):
    hub.state.rate_limit = SLOW
    watch = Watcher(core.downloads)
    item = core.downloads.add(core.models.remote(REPO, quant="Q4_1"))
    watch.wait(lambda i: i.status == S.RUNNING and i.done > 0)
    assert part_files(core)
    core.downloads.cancel(item.id)
    cancelled = watch.wait(lambda i: i.status == S.CANCELLED)
    assert cancelled.done == 0 and part_files(core) == []
    assert not core.models.models_dir.joinpath(REPO.replace("/", "__")).exists()
    assert core.models.paused() == []


def test_cancel_of_a_paused_download_found_on_disk(hub, app_home):
    hub.state.rate_limit = SLOW
    core = AppCore()
    try:
        watch = Watcher(core.downloads)
        remote = core.models.remote("test-org/Tiny-Split-GGUF", quant="Q4_1")
        item = core.downloads.add(remote)
        watch.wait(lambda i: i.status == S.RUNNING and i.done > remote.parts[0].size + (1 << 20))  # into part 2
    finally:
        core.close()  # pauses it
    folder = core.models.models_dir / "test-org__Tiny-Split-GGUF"
    assert (folder / "tiny-Q4_1-00001-of-00002.gguf").exists()
    core = AppCore()
    try:  # half a split model is not offered as a model
        assert not [m for m in core.registry.installed() if m.source == "downloaded"]
        [listed] = core.downloads.items()
        core.downloads.cancel(listed.id)
        assert core.downloads.get(listed.id).status == S.CANCELLED
        assert not folder.exists()
        core.downloads.clear_finished()
        assert core.downloads.items() == []
    finally:
        core.close()
    assert item.id == listed.id == 1


def test_a_failure_is_reported_and_the_queue_goes_on(hub, core):
    watch = Watcher(core.downloads)
    hub.state.corrupt = True
    bad = core.downloads.add(core.models.remote(REPO, quant="Q4_1"))
    failed = watch.wait(lambda i: i.id == bad.id and i.status == S.FAILED)
    assert "damaged in transit" in failed.message
    hub.state.corrupt = False
    good = core.downloads.add(core.models.remote("qwen2.5-0.5b"))
    watch.wait(lambda i: i.id == good.id and i.status == S.DONE)
    core.downloads.resume(bad.id)  # "Retry"
    watch.wait(lambda i: i.id == bad.id and i.status == S.DONE)
    assert not core.downloads.busy

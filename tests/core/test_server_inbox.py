"""The server's inbox: events from the model's thread, awaited on the event loop."""

import asyncio
import threading
import time

import pytest

from desktop_llm.core.server.inbox import Inbox


def test_events_from_another_thread_arrive_in_order_and_a_quiet_wait_ends_empty():
    async def main():
        inbox = Inbox(asyncio.get_running_loop())
        assert await inbox.take(timeout=0.05) == []  # nothing came: the caller checks on the client

        def produce():
            for n in range(50):
                inbox.put_threadsafe(n)
                if n % 10 == 0:
                    time.sleep(0.01)

        threading.Thread(target=produce).start()
        got: list = []
        while len(got) < 50:
            arrived = await inbox.take(timeout=2.0)
            assert arrived
            got += arrived
        return got

    assert asyncio.run(main()) == list(range(50))


def test_events_before_the_next_send_wait_and_come_together():
    async def main():
        inbox = Inbox(asyncio.get_running_loop())
        inbox.put_threadsafe("a")
        taking = asyncio.ensure_future(inbox.take(timeout=5.0, not_before=time.monotonic() + 1.0))
        await asyncio.sleep(0.01)
        producer = threading.Thread(target=lambda: [inbox.put_threadsafe(e) for e in "bc"])
        producer.start()
        producer.join()
        return await taking

    assert asyncio.run(main()) == ["a", "b", "c"]


def test_an_urgent_event_is_not_held_back():
    async def main():
        inbox = Inbox(asyncio.get_running_loop(), urgent=lambda event: event == "end")
        taking = asyncio.ensure_future(inbox.take(timeout=120.0, not_before=time.monotonic() + 60.0))
        await asyncio.sleep(0.01)
        threading.Thread(target=lambda: [inbox.put_threadsafe(e) for e in ("a", "end")]).start()
        return await asyncio.wait_for(taking, 10.0)  # well before the minute it would otherwise wait

    assert asyncio.run(main()) == ["a", "end"]


def test_a_cancelled_wait_leaves_the_inbox_usable():
    async def main():
        inbox = Inbox(asyncio.get_running_loop())
        waiting = asyncio.ensure_future(inbox.take(timeout=5.0))
        await asyncio.sleep(0.01)
        waiting.cancel()  # the client went away
        await asyncio.gather(waiting, return_exceptions=True)
        inbox.put_threadsafe("later")
        return await inbox.take(timeout=1.0)

    assert asyncio.run(main()) == ["later"]


def test_a_closed_loop_refuses_events():
    loop = asyncio.new_event_loop()
    inbox = Inbox(loop)
    loop.close()
    with pytest.raises(RuntimeError):  # the server's side cancels the job: nobody is listening
        inbox.put_threadsafe("late")

"""The server's inbox: events from the model's thread, awaited on the event loop."""

import asyncio
import threading
import time

from desktop_llm.core.server.inbox import Inbox


def test_events_from_another_thread_arrive_in_order_and_a_quiet_wait_ends_with_none():
    async def main():
        inbox = Inbox(asyncio.get_running_loop())
        assert await inbox.get(timeout=0.05) is None  # nothing came: the caller checks on the client

        def produce():
            for n in range(50):
                inbox.put_threadsafe(n)
                if n % 10 == 0:
                    time.sleep(0.01)

        threading.Thread(target=produce).start()
        got = []
        while len(got) < 50:
            event = await inbox.get(timeout=2.0)
            assert event is not None
            got.append(event)
            while not inbox.empty():
                got.append(inbox.get_nowait())
        return got

    assert asyncio.run(main()) == list(range(50))


def test_a_cancelled_wait_leaves_the_inbox_usable():
    async def main():
        inbox = Inbox(asyncio.get_running_loop())
        waiting = asyncio.ensure_future(inbox.get(timeout=5.0))
        await asyncio.sleep(0.01)
        waiting.cancel()  # the client went away
        await asyncio.gather(waiting, return_exceptions=True)
        inbox.put_threadsafe("later")
        return await inbox.get(timeout=1.0)

    assert asyncio.run(main()) == "later"

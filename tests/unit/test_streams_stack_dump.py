import asyncio
import io
import threading
from types import SimpleNamespace
from typing import Any

from streams.stack_dump import dump

CITIZEN_ID = "079201000123"


async def holding(value: str, started: asyncio.Event) -> None:
    await Actor(started)  # as faust's agents: an awaitable wrapping the body
    await waiting(started)


class Actor:
    def __init__(self, started: asyncio.Event) -> None:
        self.started = started

    def __await__(self) -> Any:
        return self.body().__await__()

    async def body(self) -> None:
        async for _ in batches(self.started):
            pass


async def batches(started: asyncio.Event) -> Any:
    await waiting(started)
    yield 1


async def waiting(started: asyncio.Event) -> None:
    started.set()
    await asyncio.sleep(60)


def test_the_dump_names_each_task_and_where_it_waits_without_its_values() -> None:
    async def main() -> str:
        started = asyncio.Event()
        task = asyncio.create_task(holding(CITIZEN_ID, started), name="agent-of-test")
        await started.wait()
        out = io.StringIO()
        dump(out)
        task.cancel()
        return out.getvalue()

    text = asyncio.run(main())
    assert "=== thread MainThread" in text
    assert "--- task holding (agent-of-test)" in text
    # down the awaits (through an awaitable and an async for), not the outermost frame only
    task = text.split("--- task holding (agent-of-test)\n")[1].split("---")[0]
    assert [line.split(" in ")[-1] for line in task.splitlines() if line.startswith('  File "' + __file__)] == \
        ["holding", "body", "batches", "waiting"]
    assert CITIZEN_ID not in text


class ServiceThread(threading.Thread):
    """Like mode's WorkerThread: the loop it runs is its service's ``thread_loop``."""

    def __init__(self) -> None:
        super().__init__(name="consumer-thread", daemon=True)
        self.service = SimpleNamespace(thread_loop=asyncio.new_event_loop())
        self.ready = threading.Event()

    def run(self) -> None:
        loop = self.service.thread_loop

        async def serve() -> None:
            started = asyncio.Event()
            asyncio.current_task().set_name("thread-main")  # type: ignore[union-attr]
            task = asyncio.create_task(holding(CITIZEN_ID, started), name="fetcher-of-test")
            await started.wait()
            self.ready.set()
            await task

        try:
            loop.run_until_complete(serve())
        except asyncio.CancelledError:
            pass


def test_the_dump_takes_the_tasks_of_a_service_threads_loop() -> None:
    thread = ServiceThread()
    thread.start()
    assert thread.ready.wait(10)
    out = io.StringIO()
    dump(out)
    loop = thread.service.thread_loop
    loop.call_soon_threadsafe(lambda: [t.cancel() for t in asyncio.all_tasks(loop)])
    thread.join(10)
    text = out.getvalue()
    assert "=== thread consumer-thread" in text
    assert "--- task holding (fetcher-of-test)" in text
    assert CITIZEN_ID not in text

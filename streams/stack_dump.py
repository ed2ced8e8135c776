"""Where a worker is: on SIGUSR1 it writes every thread's stack and every asyncio task's to its log, and
where each partition of the agents' topics stands (committed, read, next to deliver, acknowledged, in flight,
the Kafka client's position).

faust's worker already answers SIGUSR1 (mode's ``Worker._cry``), but it prints each frame's local variables,
and an agent's locals hold events: personal data in plain text in the log. :func:`install` replaces it with
a dump of code locations only (file, line, function), for the app's loop and the loop of each service
thread (faust's Kafka consumer runs in one).

Used to see why a worker stopped making progress: ``kill -USR1 <pid>``; the integration tests send it
before they stop a worker whose wait failed.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import traceback
import types
from typing import IO, Any

from mode import Worker

from streams.faust_fixes import client_position


def _loop_of(thread: threading.Thread) -> asyncio.AbstractEventLoop | None:
    if thread is threading.main_thread():
        try:
            return asyncio.get_running_loop() if thread is threading.current_thread() else None
        except RuntimeError:
            return None
    return getattr(getattr(thread, "service", None), "thread_loop", None)  # mode's WorkerThread


def _tasks(loop: asyncio.AbstractEventLoop) -> list[asyncio.Task[Any]]:
    for _ in range(3):  # another thread's loop may add a task while the set is copied
        try:
            return sorted(asyncio.all_tasks(loop), key=lambda t: t.get_name())
        except RuntimeError:
            continue
    return []


def dump(file: IO[str]) -> None:
    """Write each thread's stack and each task's of its loop to ``file``: code locations, no values."""
    threads = {t.ident: t for t in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        thread = threads.get(ident)
        print(f"=== thread {thread.name if thread else ident}", file=file)
        print("".join(traceback.format_list(traceback.extract_stack(frame))), end="", file=file)
        loop = _loop_of(thread) if thread is not None else None
        for task in _tasks(loop) if loop is not None else []:
            coro = task.get_coro()
            print(f"--- task {getattr(coro, '__qualname__', type(coro).__name__)} ({task.get_name()})", file=file)
            frames = [(f.f_code.co_filename, f.f_lineno, f.f_code.co_name, None) for f in awaiting(coro)]
            print("".join(traceback.format_list(traceback.StackSummary.from_list(frames))), end="", file=file)
    file.flush()


_RUNNABLE = (types.CoroutineType, types.GeneratorType, types.AsyncGeneratorType)


def _frame(obj: Any) -> Any:
    return getattr(obj, "cr_frame", None) or getattr(obj, "gi_frame", None) or getattr(obj, "ag_frame", None)


def _awaited(obj: Any) -> Any:
    found = getattr(obj, "cr_await", None) or getattr(obj, "gi_yieldfrom", None) or getattr(obj, "ag_await", None)
    if found is not None and not isinstance(found, _RUNNABLE) and _frame(found) is None:
        # an ``async for`` step (async_generator_asend) or an awaitable's ``__await__`` wrapper: what it runs
        inner = [r for r in gc.get_referents(found) if isinstance(r, _RUNNABLE)]
        return inner[0] if inner else None
    return found


def awaiting(coro: Any) -> list[Any]:
    """The frames of ``coro`` and of what it awaits, down to the innermost (a task's own stack of a suspended
    coroutine is its outermost frame only)."""
    frames: list[Any] = []
    while coro is not None and len(frames) < 200:
        frame = _frame(coro)
        if frame is None:
            break
        frames.append(frame)
        coro = _awaited(coro)
    return frames


def partitions(consumer: Any) -> list[str]:
    """One line per assigned partition of the agents' topics: where faust, the order guard and the Kafka client
    stand (offsets and counts only)."""
    lines = []
    order = getattr(consumer, "_hub_in_order", None)
    active = consumer._active_partitions or set()
    in_flight: dict[Any, int] = {}
    for message in list(consumer._unacked_messages):
        if not message.acked:
            in_flight[message.tp] = in_flight.get(message.tp, 0) + 1
    for tp in sorted(consumer.assignment()):
        if not consumer.app.topics.acks_enabled_for(tp.topic):
            continue
        acked = list(consumer._acked.get(tp, ()))
        lines.append(
            f"{tp.topic}[{tp.partition}] committed={consumer._committed_offset.get(tp)} "
            f"read={consumer._read_offset.get(tp)} next={order._next.get(tp) if order is not None else None} "
            f"acked={(min(acked), max(acked), len(acked)) if acked else None} in_flight={in_flight.get(tp, 0)} "
            f"position={client_position(consumer, tp)} ready={tp in getattr(consumer, '_hub_ready', ())} "
            f"active={tp in active} buffered={tp in consumer._buffered_partitions}")
    return lines


async def _cry(self: Worker) -> None:
    dump(self.stderr)
    consumer = getattr(getattr(self, "app", None), "_consumer", None)
    if consumer is not None:
        try:
            report = partitions(consumer)
        except Exception as exc:  # a diagnostic: say why it is missing rather than stop the worker
            report = [f"no partition report: {type(exc).__name__}"]
        print("=== partitions (flow active: %s)" % getattr(consumer, "flow_active", None), file=self.stderr)
        print("\n".join(report), file=self.stderr, flush=True)


def install() -> None:
    """Make the worker's SIGUSR1 dump code locations without values."""
    Worker._cry = _cry  # type: ignore[method-assign]

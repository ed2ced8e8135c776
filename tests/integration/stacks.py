"""Before a failed test stops a worker: ask it where it is."""

from __future__ import annotations

import signal
import subprocess
import time


def dump_stacks(proc: subprocess.Popen[bytes], wait_s: float = 3.0) -> None:
    """If ``proc`` (a faust worker) still runs, have it write its threads' and tasks' stacks to its log
    (:mod:`streams.stack_dump`) and give it ``wait_s`` to do so."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGUSR1)
        time.sleep(wait_s)

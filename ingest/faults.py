"""Named crash points between index writes, for the fault-injection test.

A power cut can land between any two writes of an ingest; a timed kill almost never does. Each
``checkpoint`` marks such a boundary. With ``PARTYDOCS_CRASH_TRACE`` set, every boundary reached is
appended to that file (so a test learns how many there are); with ``PARTYDOCS_CRASH_AT=N``, the
process dies at the N-th boundary exactly as under ``kill -9``: no ``finally``, no cleanup.
These are environment variables rather than settings because they exist only for tests and must
never be set by a deployment's config file.
"""

from __future__ import annotations

import os

CRASH_AT = "PARTYDOCS_CRASH_AT"
CRASH_TRACE = "PARTYDOCS_CRASH_TRACE"
KILLED = 137  # the exit status a shell reports for SIGKILL

_reached = 0


def checkpoint(label: str) -> None:
    """A boundary between two writes; a no-op unless a test armed it."""
    global _reached
    at, trace = os.environ.get(CRASH_AT), os.environ.get(CRASH_TRACE)
    if not at and not trace:
        return
    _reached += 1
    if trace:
        with open(trace, "a", encoding="utf-8") as handle:
            handle.write(f"{_reached}\t{label}\n")
    if at and _reached == int(at):
        os._exit(KILLED)

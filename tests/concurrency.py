"""Races for real: functions released together in threads, each with its own connection."""

import threading

import pytest
from django.db import connection, connections


def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: run with DATABASE_URL=postgres://…")


def at_once(*funcs):
    """Run each function in its own thread, released together; return their outcomes."""
    barrier = threading.Barrier(len(funcs))
    outcomes = [None] * len(funcs)

    def run(i, func):
        try:
            barrier.wait(timeout=10)
            outcomes[i] = func()
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(funcs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes

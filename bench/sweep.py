"""Phase 3: the deadline sweep at 1,000,000 pledges, ~1,000 of them due.

The due-rows query is ``Pledge.objects.filter(next_reminder_at__lte=now)``; its plan
must reach the rows through the partial index ``pledge_reminder_due``, never a
sequential scan. On PostgreSQL the figures are EXPLAIN ANALYZE's planning and
execution times; SQLite has no ANALYZE, so there the figure is the wall time of
fetching the due rows, and the plan is EXPLAIN QUERY PLAN.
"""

import importlib
import json
import statistics
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from commitments.domain import reminders
from commitments.models import Pledge

INDEX = "pledge_reminder_due"
INDEX_NODES = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}

# The periodic job itself (what the Celery task calls), run once in-process.
SWEEP_FUNCTIONS = ["commitments.domain.reminders.sweep_deadlines"]


def due_rows(now):
    """The due-rows query as ``commitments.domain.reminders.sweep_pledges`` issues it (less its LIMIT)."""
    return Pledge.objects.filter(next_reminder_at__lte=now).order_by("next_reminder_at", "pk")


def measure(runs):
    now = timezone.now()
    query = due_rows(now).values_list("pk", "next_reminder_at")[: reminders.SWEEP_BATCH]
    result = {"pledges": Pledge.objects.count(), "due": due_rows(now).count()}
    fetch = []
    for _ in range(runs):
        started = time.perf_counter()
        list(query.all())
        fetch.append((time.perf_counter() - started) * 1000)
    result["fetch_ms"] = round(statistics.median(fetch), 2)
    if connection.vendor == "postgresql":
        result |= _explain_analyze(query, runs)
    else:
        plan = query.explain()
        result["plan"] = " | ".join(line.strip() for line in plan.splitlines())
        result["uses_index"] = f"INDEX {INDEX}" in plan and "SCAN commitments_pledge" not in plan
        result["ms"] = result["fetch_ms"]
        result["planning_ms"] = None
    result |= _run_sweep_function()
    result["due_after"] = due_rows(timezone.now()).count()
    return result


def _explain_analyze(query, runs):
    planning, execution, plan = [], [], None
    for _ in range(runs):
        raw = query.explain(format="json", analyze=True)
        plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
        planning.append(plan["Planning Time"])
        execution.append(plan["Execution Time"])
    nodes = list(_walk(plan["Plan"]))
    return {
        "ms": round(statistics.median(execution), 3),
        "planning_ms": round(statistics.median(planning), 3),
        "uses_index": any(
            n["Node Type"] in INDEX_NODES and n.get("Index Name") == INDEX for n in nodes
        )
        and not any(n["Node Type"] == "Seq Scan" for n in nodes),
        "plan": " > ".join(
            n["Node Type"] + (f" on {n['Index Name']}" if "Index Name" in n else "") for n in nodes
        ),
    }


def _walk(node):
    yield node
    for child in node.get("Plans", []):
        yield from _walk(child)


def _run_sweep_function():
    for dotted in SWEEP_FUNCTIONS:
        module_name, _, attr = dotted.rpartition(".")
        try:
            function = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError):
            continue
        started = time.perf_counter()
        try:
            with CaptureQueriesContext(connection) as queries:
                function()
        except Exception as exc:  # a broken sweep is a figure to report, not a crash
            return {"function": dotted, "function_ms": None, "function_note": f"error: {exc!r}"}
        return {
            "function": dotted,
            "function_ms": round((time.perf_counter() - started) * 1000, 1),
            "function_queries": len(queries),
            "function_note": "",
        }
    return {
        "function": None,
        "function_ms": None,
        "function_note": "not available: no sweep function yet (issue 5)",
    }

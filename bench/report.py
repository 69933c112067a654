"""Figures as stable flat keys (var/bench.json) and as a table for people.

Key scheme, kept stable so runs can be compared over time:
- ``<page>.queries``, ``<page>.p50_ms`` (server time in-process), ``<page>.bytes``, ``<page>.status``;
- ``<target>.rps``, ``.http_p50_ms``, ``.http_p99_ms``, ``.rps_ratio_to_static`` for the
  default app server (the compose one); other servers under ``<server>.<target>.…``;
- ``<whole-table page>.first_byte_ms`` (median time to the first byte of a prebuilt file) and
  ``exports.build_s`` (one build of every whole-table file, ``commitments.public.exports``)
  and ``exports.vocabulary_s`` (one rebuild of the search's misspelling vocabulary);
- ``sweep_1m.*``, ``fanout_10k.*``, ``linkcheck_10k.*`` (named for the full scale; ``meta.scale`` says the real one);
- ``meta.*``: scale, database, cpu count, date, sizes, timings.
A figure that was not measured is present with the value null.
"""

import json

from bench.pages import PAGES

DEFAULT_SERVER = "granian"  # what scripts/serve-web runs
SWITCH_MARGIN = 1.15
LOAD_TARGETS = ("static", "timeline", "timeline_cached", "pledge")
LOAD_FIGURES = ("rps", "http_p50_ms", "http_p99_ms", "rps_ratio_to_static", "errors")
SWEEP_FIGURES = (
    "ms", "planning_ms", "uses_index", "plan", "pledges", "due", "fetch_ms",
    "function", "function_ms", "function_queries", "function_note", "due_after", "vocabulary_s",
)  # fmt: skip
LINKCHECK_FIGURES = (
    "sources", "checked", "hosts", "per_host_limit", "bound_per_min", "seconds",
    "sources_per_min", "requests", "max_per_host_per_min",
)  # fmt: skip
FANOUT_FIGURES = (
    "path", "batch_size", "recipients", "messages", "sent", "fanout_ms", "seconds", "msgs_per_s",
    "smtp_connections", "note",
)  # fmt: skip


def stable_keys():
    keys = []
    for page in PAGES:
        keys += [f"{page.name}.{k}" for k in ("queries", "p50_ms", "bytes", "status", "note")]
        if page.single:
            keys.append(f"{page.name}.first_byte_ms")
    keys += ["exports.build_s", "exports.vocabulary_s"]
    for target in LOAD_TARGETS:
        keys += [f"{target}.{k}" for k in LOAD_FIGURES]
    keys += [f"sweep_1m.{k}" for k in SWEEP_FIGURES]
    keys += [f"fanout_10k.{k}" for k in FANOUT_FIGURES]
    keys += [f"linkcheck_10k.{k}" for k in LINKCHECK_FIGURES]
    keys += [f"slowest_{side}.{k}" for side in ("public", "staff") for k in ("page", "p50_ms")]
    keys += ["subscribers.count", "subscribers.note", "meta.recommended_server"]
    return keys


def flatten(figures):
    flat = dict.fromkeys(stable_keys())
    for key, value in figures["meta"].items():
        if isinstance(value, dict):
            flat |= {f"meta.{key}.{k}": v for k, v in value.items()}
        else:
            flat[f"meta.{key}"] = value
    flat |= {f"subscribers.{k}": v for k, v in figures.get("subscribers", {}).items()}
    flat |= {f"targets.{k}": _plain(v) for k, v in figures.get("targets", {}).items()}
    for name, result in figures.get("pages", {}).items():
        flat |= {f"{name}.{k}": v for k, v in result.items()}
    flat |= slowest(figures.get("pages", {}))
    flat |= {f"exports.{k}": v for k, v in figures.get("exports", {}).items()}
    if "throughput" in figures:
        _flatten_throughput(flat, figures["throughput"])
    flat |= {f"sweep_1m.{k}": v for k, v in figures.get("sweep", {}).items()}
    flat |= {f"fanout_10k.{k}": v for k, v in figures.get("fanout", {}).items()}
    flat |= {f"linkcheck_10k.{k}": v for k, v in figures.get("linkcheck", {}).items()}
    return dict(sorted(flat.items()))


def slowest(results):
    """The slowest public and staff page by median (whole-table files, timed once, apart)."""
    flat = {}
    for side, staff in (("public", False), ("staff", True)):
        timed = [
            (results[p.name]["p50_ms"], p.name)
            for p in PAGES
            if p.staff == staff
            and not p.single
            and results.get(p.name, {}).get("p50_ms") is not None
        ]
        if timed:
            ms, name = max(timed)
            flat |= {f"slowest_{side}.page": name, f"slowest_{side}.p50_ms": ms}
    return flat


def _flatten_throughput(flat, results):
    flat["meta.client"] = results.pop("client")
    flat["meta.default_server"] = DEFAULT_SERVER
    rates = {}
    for server, figures in results.items():
        prefix = "" if server == DEFAULT_SERVER else f"{server}."
        if "note" in figures:
            flat[f"{server}.note"] = figures["note"]
            continue
        flat[f"{server}.workers"] = figures.pop("workers")
        static_rps = figures.get("static", {}).get("rps")
        for target, m in figures.items():
            ratio = round(m["rps"] / static_rps, 3) if static_rps else None
            flat |= {
                f"{prefix}{target}.rps": m["rps"],
                f"{prefix}{target}.rps_rounds": m.get("rps_runs"),
                f"{prefix}{target}.http_p50_ms": m["p50_ms"],
                f"{prefix}{target}.http_p99_ms": m["p99_ms"],
                f"{prefix}{target}.errors": m["errors"],
                f"{prefix}{target}.http_status": m["status"],
                f"{prefix}{target}.rps_ratio_to_static": ratio,
            }
            if target == "timeline_cached":
                flat[f"{prefix}{target}.conditional"] = m["conditional"]
        rates[server] = figures.get("timeline", {}).get("rps") or 0
    flat["meta.recommended_server"] = recommend(rates)


def recommend(timeline_rps):
    """The app server for compose: the default unless another carries the uncached timeline
    clearly further (by SWITCH_MARGIN; smaller gaps are noise on a shared two-core machine)."""
    if not timeline_rps:
        return None
    best = max(timeline_rps, key=timeline_rps.get)
    default = timeline_rps.get(DEFAULT_SERVER)
    if default is None or timeline_rps[best] > default * SWITCH_MARGIN:
        return best
    return DEFAULT_SERVER


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def write_json(flat, path):
    path.write_text(json.dumps(flat, indent=1, default=str) + "\n")


def _fmt(value, spec=",.1f"):
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, int | float):
        return format(value, spec)
    return str(value)


def table(flat):
    scale = flat["meta.scale"]
    lines = [
        "",
        f"Commitment Tracker bench — {flat['meta.database']}, scale {scale:g}, "
        f"{flat['meta.cpu_count']} CPUs, {flat['meta.date']} (git {flat['meta.git']})",
        f"data: {flat.get('meta.size.companies', 0):,} companies, "
        f"{flat.get('meta.size.pledges', 0):,} published pledges; whole run "
        f"{flat.get('meta.total_s')} s ("
        + ", ".join(
            f"{k.removeprefix('meta.phase_s.')} {v}"
            for k, v in flat.items()
            if k.startswith("meta.phase_s.")
        )
        + ")",
        "",
        f"{'Page (in-process, median)':<28}{'queries':>8}{'server ms':>11}{'bytes':>10}  url / note",
    ]
    for page in PAGES:
        n = page.name
        if not flat.get(f"{n}.url") and not flat.get(f"{n}.note"):
            continue  # the pages phase did not run
        if flat.get(f"{n}.p50_ms") is None:
            lines.append(f"  {n:<26}{'':>29}  {flat.get(f'{n}.note') or ''}")
            continue
        lines.append(
            f"  {n:<26}{_fmt(flat[f'{n}.queries'], 'd'):>8}{_fmt(flat[f'{n}.p50_ms'], '.2f'):>11}"
            f"{_fmt(flat[f'{n}.bytes'], ',d'):>10}  {flat[f'{n}.url']}"
        )
    if flat.get("exports.build_s") is not None:
        firsts = ", ".join(
            f"{p.name} {_fmt(flat.get(f'{p.name}.first_byte_ms'), '.2f')} ms"
            for p in PAGES
            if p.single
        )
        lines.append(
            f"  whole-table files: built in {flat['exports.build_s']} s; first byte: {firsts};"
            f" search vocabulary rebuilt in {_fmt(flat.get('exports.vocabulary_s'), '.2f')} s"
        )
    for side in ("public", "staff"):
        if flat.get(f"slowest_{side}.page"):
            lines.append(
                f"  slowest {side} page: {flat[f'slowest_{side}.page']} "
                f"{_fmt(flat[f'slowest_{side}.p50_ms'], '.2f')} ms"
            )
    servers = [DEFAULT_SERVER] + sorted(
        {k.split(".")[0] for k in flat if k.endswith(".workers")} - {DEFAULT_SERVER}
    )
    for server in servers:
        prefix = "" if server == DEFAULT_SERVER else f"{server}."
        if f"{server}.workers" not in flat:
            if note := flat.get(f"{server}.note"):
                lines += ["", f"{server}: {note}"]
            continue
        lines += [
            "",
            f"{'Throughput: ' + server + ' x' + str(flat[f'{server}.workers']):<28}"
            f"{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs static':>11}   ({flat.get('meta.client')}, "
            f"{flat['meta.duration_s']:g}s each, median of {flat.get('meta.rounds') or 1} rounds)",
        ]
        for target in LOAD_TARGETS:
            key = f"{prefix}{target}"
            if flat.get(f"{key}.rps") is None:
                continue
            extra = ""
            if target == "timeline_cached":
                extra = (
                    "  If-None-Match"
                    if flat.get(f"{key}.conditional")
                    else "  (no ETag: plain repeat)"
                )
            if flat.get(f"{key}.errors"):
                extra += f"  {flat[f'{key}.errors']} errors"
            if rounds := flat.get(f"{key}.rps_rounds"):
                extra += "  rounds " + "/".join(f"{rps:,.0f}" for rps in rounds)
            lines.append(
                f"  {target:<26}{_fmt(flat[f'{key}.rps']):>9}{_fmt(flat[f'{key}.http_p50_ms'], '.2f'):>9}"
                f"{_fmt(flat[f'{key}.http_p99_ms'], '.2f'):>9}"
                f"{_fmt(flat[f'{key}.rps_ratio_to_static'], '.1%'):>11}{extra}"
            )
    if flat.get("meta.recommended_server"):
        lines.append(
            f"  recommended app server (uncached timeline): {flat['meta.recommended_server']}"
        )
    if flat.get("sweep_1m.due") is not None:
        lines += [
            "",
            f"Sweep: {_fmt(flat['sweep_1m.pledges'], ',d')} pledges, {_fmt(flat['sweep_1m.due'], ',d')} due: "
            f"{_fmt(flat['sweep_1m.ms'], '.2f')} ms (planning {_fmt(flat['sweep_1m.planning_ms'], '.2f')} ms), "
            f"fetch {_fmt(flat['sweep_1m.fetch_ms'], '.2f')} ms, index on due rows: {_fmt(flat['sweep_1m.uses_index'])}",
            f"  plan: {flat['sweep_1m.plan']}",
            f"  sweep function: {flat['sweep_1m.function'] or '—'} "
            f"{_fmt(flat['sweep_1m.function_ms'], ',.1f')} ms, "
            f"{_fmt(flat['sweep_1m.function_queries'], 'd')} queries {flat['sweep_1m.function_note'] or ''}",
            f"  search vocabulary rebuilt at this size: {_fmt(flat.get('sweep_1m.vocabulary_s'))} s",
        ]
    if flat.get("fanout_10k.recipients") is not None:
        lines += [
            "",
            f"Fan-out: {_fmt(flat['fanout_10k.messages'], ',d')}/{_fmt(flat['fanout_10k.recipients'], ',d')} "
            f"messages in {flat['fanout_10k.seconds']} s = {_fmt(flat['fanout_10k.msgs_per_s'])} msg/s, "
            f"{flat['fanout_10k.smtp_connections']} SMTP connections "
            f"(batches of {flat['fanout_10k.batch_size']}, {flat['fanout_10k.path']})",
        ]
        if flat.get("fanout_10k.note"):
            lines.append(f"  {flat['fanout_10k.note']}")
    if flat.get("linkcheck_10k.sources") is not None:
        lines += [
            "",
            f"Link check: {_fmt(flat['linkcheck_10k.checked'], ',d')}/"
            f"{_fmt(flat['linkcheck_10k.sources'], ',d')} sources over "
            f"{_fmt(flat['linkcheck_10k.hosts'], ',d')} hosts in {flat['linkcheck_10k.seconds']} s = "
            f"{_fmt(flat['linkcheck_10k.sources_per_min'], ',d')} sources/min (one worker), "
            f"per-host limit {flat['linkcheck_10k.per_host_limit']}/min "
            f"(bound {_fmt(flat['linkcheck_10k.bound_per_min'], ',d')}/min; busiest host "
            f"{flat['linkcheck_10k.max_per_host_per_min']} in any minute)",
        ]
    lines.append(f"Subscribers: {flat.get('subscribers.count') or flat.get('subscribers.note')}")
    return "\n".join(lines)

"""Numbers for the benchmark report: percentiles, the machine, and Markdown tables."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

Result = dict[str, Any]


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.5 = median) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    """p50 / p95 / max of ``seconds``, in milliseconds with 0.01 ms resolution."""
    return {
        "p50_ms": round(percentile(seconds, 0.50) * 1000, 2),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2),
    }


def machine(server_version: str) -> dict[str, Any]:
    """Cores, memory, PostgreSQL version and the load average right now."""
    memory_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "postgresql": server_version,
        "load_average_start": [round(value, 2) for value in os.getloadavg()],
    }


def _verdict(row: Result) -> str:
    target = row["target_ms"]
    if target is None:
        return "n/a"
    return "met" if row["p95_ms"] <= target else "missed"


def table(result: Result) -> str:
    """One run as a Markdown table, a row per scenario."""
    lines = [
        "| scenario | as | p50 ms | p95 ms | max ms | statements | floor p50 ms "
        "| page ÷ floor | p95 target | verdict |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in result["scenarios"]:
        statements = "/".join(str(count) for count in row["statements"]) or "?"
        target = "" if row["target_ms"] is None else str(row["target_ms"])
        lines.append(
            f"| {row['name']} | {row['who']} | {row['p50_ms']} | {row['p95_ms']} "
            f"| {row['max_ms']} | {statements} | {row['floor']['p50_ms']} "
            f"| {row['page_over_floor']} | {target} | {_verdict(row)} |"
        )
    return "\n".join(lines)


def comparison(before: Result, after: Result) -> str:
    """Before/after p50, p95 and statements per scenario, as a Markdown table."""
    lines = [
        "| scenario | p50 before | p50 after | p95 before | p95 after "
        "| stmts before | stmts after | floor p50 after | target | after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    earlier = {row["name"]: row for row in before["scenarios"]}
    for row in after["scenarios"]:
        old = earlier.get(row["name"])
        if old is None:
            continue

        def counts(item: Result) -> str:
            return "/".join(str(count) for count in item["statements"])

        lines.append(
            f"| {row['name']} | {old['p50_ms']} | {row['p50_ms']} | {old['p95_ms']} "
            f"| {row['p95_ms']} | {counts(old)} | {counts(row)} | {row['floor']['p50_ms']} "
            f"| {row['target_ms'] or ''} | {_verdict(row)} |"
        )
    return "\n".join(lines)

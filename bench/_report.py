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


def _counts(values: list[Any]) -> str:
    return "/".join(str(value) for value in values) or "?"


def compare_line(row: Result) -> str:
    """One compared page as a progress line."""
    console, stock = row["console"], row["stock"]
    return (
        f"{row['name']:<24} p50 {console['p50_ms']:>8} vs {stock['p50_ms']:>8} ms "
        f"(x{row['p50_ratio']})  p95 {console['p95_ms']:>8} vs {stock['p95_ms']:>8} ms  "
        f"stmts {_counts(console['statements'])} vs {_counts(stock['statements'])}  "
        f"tx {_counts(console['transactions'])} vs {_counts(stock['transactions'])}  "
        f"KiB {_counts(console['html_kib'])} vs {_counts(stock['html_kib'])}"
    )


def throughput_line(result: Result) -> str:
    """The throughput figures as one line."""
    console, stock = result["console"], result["stock"]
    return (
        f"throughput, events p1, {result['clients']} clients, {result['seconds_per_app']} s "
        f"each: console {console['requests_per_s']} req/s ({console['errors']} errors), "
        f"stock {stock['requests_per_s']} req/s ({stock['errors']} errors), "
        f"x{result['ratio']}"
    )


def baseline_table(result: Result) -> str:
    """A comparison run (console beside stock SQLAdmin) as Markdown tables."""
    lines = [
        "| page | console p50 ms | stock p50 ms | p50 ÷ | console p95 ms | stock p95 ms "
        "| p95 ÷ | statements c/s | transactions c/s | checkouts c/s | HTML KiB c/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["pages"]:
        console, stock = row["console"], row["stock"]

        def pair(key: str, console: Result = console, stock: Result = stock) -> str:
            return f"{_counts(console[key])} / {_counts(stock[key])}"

        lines.append(
            f"| {row['name']} | {console['p50_ms']} | {stock['p50_ms']} | {row['p50_ratio']} "
            f"| {console['p95_ms']} | {stock['p95_ms']} | {row['p95_ratio']} "
            f"| {pair('statements')} | {pair('transactions')} | {pair('checkouts')} "
            f"| {pair('html_kib')} |"
        )
    speed = result["throughput"]
    lines += [
        "",
        f"| throughput, events p1, {speed['clients']} clients | requests | errors | seconds "
        "| req/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for app in ("console", "stock"):
        row = speed[app]
        lines.append(
            f"| {app} | {row['requests']} | {row['errors']} | {row['seconds']} "
            f"| {row['requests_per_s']} |"
        )
    lines.append(f"| console ÷ stock | | | | {speed['ratio']} |")
    return "\n".join(lines)

"""System and process memory in MB for SimpleModelInference.get_memory_usage, without
psutil (which the reference system uses): read from /proc on Linux, with the figures
psutil reports there (used = total - free - buffers - cached, cached counting the
reclaimable slab, as psutil.virtual_memory() computes it)."""
from __future__ import annotations

from typing import Dict

MB = 1024 * 1024


def _meminfo(path: str) -> Dict[str, int]:
    """/proc/meminfo as {field: bytes}."""
    fields = {}
    with open(path, encoding="ascii", errors="replace") as f:
        for line in f:
            name, _, rest = line.partition(":")
            parts = rest.split()
            if parts and parts[0].isdigit():
                fields[name.strip()] = int(parts[0]) * (1024 if parts[1:2] == ["kB"] else 1)
    return fields


def system_memory(meminfo: str = "/proc/meminfo") -> Dict[str, float]:
    """{'total', 'available', 'used'} in bytes. OSError or KeyError where /proc/meminfo
    is missing or lacks MemTotal or MemFree."""
    info = _meminfo(meminfo)
    total, free = info["MemTotal"], info["MemFree"]
    cached = info.get("Cached", 0) + info.get("SReclaimable", 0)
    used = total - free - info.get("Buffers", 0) - cached
    if used < 0:
        used = total - free
    available = info.get("MemAvailable", free + info.get("Buffers", 0) + cached)
    return {"total": float(total), "available": float(available), "used": float(used)}


def process_rss(status: str = "/proc/self/status") -> float:
    """This process's resident memory in bytes (VmRSS)."""
    return float(_meminfo(status)["VmRSS"])


def memory_usage() -> Dict[str, float]:
    """The reference's get_memory_usage keys system_used_mb, system_available_mb,
    system_total_mb (system_error instead when they cannot be read), plus process_rss_mb."""
    usage: Dict[str, float] = {}
    try:
        mem = system_memory()
        usage["system_used_mb"] = mem["used"] / MB
        usage["system_available_mb"] = mem["available"] / MB
        usage["system_total_mb"] = mem["total"] / MB
    except (OSError, KeyError, ValueError):
        usage["system_error"] = "Could not retrieve system memory stats"
    try:
        usage["process_rss_mb"] = process_rss() / MB
    except (OSError, KeyError, ValueError):
        pass
    return usage


"""CPU time and memory of the server's processes, read from ``/proc`` (Linux).

CPU is utime + stime of the worker processes (every descendant of the server command)
and of the PostgreSQL backends serving the bench database: it stays stable on a shared,
noisy machine where wall-clock throughput does not.
"""

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: split after its closing parenthesis.
    return text[text.rindex(")") + 2 :].split()


def descendants(root: int) -> list[int]:
    """Return the pids of ``root``'s descendants (not ``root`` itself)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_seconds(pids) -> float:
    """Return the CPU seconds (user + system) the processes have used so far."""
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def cpu_by_pid(pids) -> dict[int, float]:
    return {pid: cpu_seconds([pid]) for pid in pids}


def rss_mb(pid: int) -> float:
    """Return the resident memory of ``pid`` in MiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def postgres_backends(cursor, database: str) -> list[int]:
    """Return the pids of the client backends of ``database`` other than the caller's own,
    if they run on this machine."""
    cursor.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
        " AND backend_type = 'client backend'",
        [database],
    )
    return [pid for (pid,) in cursor.fetchall() if Path(f"/proc/{pid}").exists()]


class CPUMeter:
    """CPU used by the server's workers and the bench database's backends between two points.

    Backends are keyed by pid at both points, so a backend that appears in between (a new
    connection) counts from zero, and one that ends in between is lost (persistent
    connections make that rare).
    """

    def __init__(self, server_pid: int, cursor, database: str):
        self.server_pid, self.cursor, self.database = server_pid, cursor, database

    def sample(self) -> tuple[dict[int, float], dict[int, float]]:
        workers = [self.server_pid, *descendants(self.server_pid)]
        return cpu_by_pid(workers), cpu_by_pid(postgres_backends(self.cursor, self.database))

    @staticmethod
    def delta(before, after) -> tuple[float, float]:
        """Return (worker seconds, backend seconds) used between two samples."""
        spent = []
        for start, end in zip(before, after, strict=True):
            spent.append(sum(value - start.get(pid, 0.0) for pid, value in end.items()))
        return spent[0], spent[1]

    def worker_rss(self) -> list[float]:
        return [rss_mb(pid) for pid in descendants(self.server_pid)]

    def worker_pids(self) -> list[int]:
        return sorted(descendants(self.server_pid))


def machine_cpu() -> tuple[float, float]:
    """Return the machine's (busy, total) CPU seconds so far, all cores, from ``/proc/stat``
    (busy: everything but idle and iowait; steal counts as busy: another guest had the core)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    total = sum(fields[:8])
    return (total - idle) / TICK, total / TICK

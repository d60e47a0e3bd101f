"""Driving a server over loopback HTTP from many threads, and the CPU the processes on
the machine spent meanwhile (from /proc): the measuring half of bench/morning_peak."""
import http.client
import multiprocessing
import os
import queue
import threading
import time
from collections import Counter
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def send(conn, request) -> tuple[int, bytes, int]:
    """(status, body, retries): one retry when the server had closed the idle connection."""
    method, path, headers, body = request
    for attempt in range(2):
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            return response.status, response.read(), attempt
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()
            if attempt:
                raise
    raise AssertionError("unreachable")


def drive(port: int, jobs: list, maker, clients: int) -> dict:
    """`clients` threads with a keep-alive connection each, sharing one queue of jobs;
    `maker(job)` gives (method, path, headers, body). Answers other than 201 are failures."""
    work = queue.SimpleQueue()
    for job in jobs:
        work.put(job)
    results, started = [], {}
    barrier = threading.Barrier(clients, action=lambda: started.setdefault("t0", time.perf_counter()))

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.connect()
        mine = []
        barrier.wait()
        while True:
            try:
                job = work.get_nowait()
            except queue.Empty:
                break
            request = maker(job)
            t0 = time.perf_counter()
            status, body, retries = send(conn, request)
            mine.append((time.perf_counter() - t0, status, retries, body[:300] if status != 201 else b""))
        conn.close()
        results.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started["t0"]
    statuses = Counter(status for _, status, _, _ in results)
    failures = [(status, body.decode(errors="replace")) for _, status, _, body in results if status != 201]
    return {"elapsed": elapsed, "latencies": [r[0] for r in results], "statuses": dict(statuses),
            "retries": sum(r[2] for r in results), "failures": failures[:5]}


def cpu_of(pid: int) -> float:
    """utime + stime of a process, seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy() -> float:
    """CPU seconds the whole machine has spent not idle (/proc/stat), all CPUs together."""
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / TICK


def cpu_snapshot(master_pid: int, db_name: str) -> dict:
    """CPU seconds of the gunicorn workers and of this database's PostgreSQL backends."""
    workers, backends = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == master_pid:
            workers[int(entry)] = cpu_of(int(entry))
        elif db_name.encode() in cmdline:
            backends[int(entry)] = cpu_of(int(entry))
    return {"gunicorn": workers, "postgres": backends, "machine": {0: machine_busy()}}


def cpu_used(before: dict, after: dict) -> dict:
    return {group: sum(after[group][pid] - before[group].get(pid, 0.0) for pid in after[group]) for group in after}


def client_process(port: int, make, spec: dict, warmup: list, jobs: list, clients: int, pipe,
                   measure=drive) -> None:
    """Runs in the spawned process: a warm-up pass (always `drive`), then (when the parent
    says go) the measured pass with `measure` (same arguments as `drive`); sends back
    latencies, statuses and the process's CPU time."""
    maker = make(spec)
    drive(port, warmup, maker, clients)
    pipe.send("warm")
    pipe.recv()
    cpu0 = sum(os.times()[:2])
    result = measure(port, jobs, maker, clients)
    result["client_cpu"] = sum(os.times()[:2]) - cpu0
    pipe.send(result)
    pipe.close()


def load(port: int, master_pid: int, db_name: str, make, spec: dict, warmup: list, jobs: list,
         clients: int, measure=drive) -> dict:
    """The load generator in a spawned process (`make(spec)` builds its request maker
    there; `measure`, a module-level function, drives the measured pass: closed-loop
    `drive` unless told); CPU of the server side over the measured pass."""
    ctx = multiprocessing.get_context("spawn")  # nothing inherited: no app, no pooled connections
    parent, child = ctx.Pipe()
    process = ctx.Process(target=client_process, args=(port, make, spec, warmup, jobs, clients, child, measure),
                          daemon=True)
    process.start()
    try:
        if not parent.poll(600) or parent.recv() != "warm":
            raise RuntimeError("the load generator did not finish its warm-up")
        before = cpu_snapshot(master_pid, db_name)
        parent.send("go")
        if not parent.poll(1800):
            raise RuntimeError("the load generator did not finish")
        result = parent.recv()
        result["server_cpu"] = cpu_used(before, cpu_snapshot(master_pid, db_name))
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()
    return result

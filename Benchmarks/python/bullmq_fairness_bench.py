"""Python bullmq 3.4.4 side of Benchmarks/run-fairness-benchmark: the FIFO scenario of
Benchmarks/QueueBenchmark/FairnessBenchmark.swift. Tenant A adds BACKLOG jobs, WORKERS workers
(CONCURRENCY each, a no-op handler) start, and once about 1,000 jobs have started tenant B adds
10 jobs, one every 100 ms. BullMQ has no tenants: B's jobs are jobs added later to the same
queue, so they wait behind A's backlog. Each B job's wait is its handler's start minus the moment
just before its add (time.perf_counter, this process); the throughput is every job over the time
from the workers' start to the last completion (completed count polled every 10 ms). Prints CSV
lines "metric,value".

Usage: bullmq_fairness_bench.py URL BACKLOG WORKERS CONCURRENCY
"""
import asyncio
import sys
import time
import uuid

from bullmq import Queue, Worker

LATE_JOBS = 10
LATE_SPACING = 0.1
WARM_UP = 1000
DEADLINE = 600


def percentile(values, percent):
    return values[min(len(values) - 1, len(values) * percent // 100)] if values else 0


async def main(url, backlog, workers, concurrency):
    conn = {"connection": url}
    name = "bench-fairness-" + uuid.uuid4().hex[:8]
    queue = Queue(name, conn)
    for offset in range(0, backlog, 1000):
        await queue.addBulk([{"name": "a", "data": {}} for _ in range(offset, min(backlog, offset + 1000))])
    total = backlog + LATE_JOBS
    started = 0
    added_at = {}
    started_at = {}

    async def process(job, token):
        nonlocal started
        now = time.perf_counter()
        started += 1
        if job.name == "b":
            started_at.setdefault(job.data["b"], now)
        return None

    start = time.perf_counter()
    pool = [Worker(name, process, {**conn, "concurrency": concurrency}) for _ in range(workers)]
    try:
        while started < min(WARM_UP, backlog):
            if time.perf_counter() - start > DEADLINE:
                raise RuntimeError(f"deadline passed waiting for {min(WARM_UP, backlog)} jobs to start ({started} started)")
            await asyncio.sleep(0.001)
        first = time.perf_counter()
        for index in range(LATE_JOBS):
            await asyncio.sleep(max(0.0, first + index * LATE_SPACING - time.perf_counter()))
            added_at[index] = time.perf_counter()
            await queue.add("b", {"b": index})
        if started >= backlog:
            print("warning: A's backlog had all started before B's last add; raise BACKLOG for a meaningful wait", file=sys.stderr)
        while True:
            counts = await queue.getJobCounts("completed", "failed")
            if counts["failed"] > 0:
                raise RuntimeError(f"{counts['failed']} jobs failed")
            if counts["completed"] >= total:
                break
            if time.perf_counter() - start > DEADLINE:
                raise RuntimeError(f"deadline passed waiting for {total} completions ({counts['completed']} completed)")
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - start
    finally:
        for worker in pool:
            await worker.close()
    waits = sorted((started_at[i] - added_at[i]) * 1000 for i in added_at if i in started_at)
    if len(waits) != LATE_JOBS:
        raise RuntimeError(f"{len(waits)} of B's {LATE_JOBS} jobs recorded a start")
    print(f"bullmq_b_wait_p50_ms,{percentile(waits, 50):.1f}")
    print(f"bullmq_b_wait_p99_ms,{percentile(waits, 99):.1f}")
    print(f"bullmq_throughput,{total / elapsed:.1f}")
    await queue.obliterate(force=True)
    await queue.close()


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: bullmq_fairness_bench.py URL BACKLOG WORKERS CONCURRENCY")
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))

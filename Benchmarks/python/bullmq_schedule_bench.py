"""Python bullmq 3.4.4 side of Benchmarks/run-schedule-benchmark: one job scheduler every 1 s,
WORKERS workers taking its runs for SECONDS; prints the same CSV lines as
Benchmarks/QueueBenchmark/ScheduleBenchmark.swift.

Usage: bullmq_schedule_bench.py URL SECONDS WORKERS
"""
import asyncio
import sys
import time
import uuid

from bullmq import Queue, Worker


async def main(url, seconds, workers):
    conn = {"connection": url}
    name = "bench-schedule-" + uuid.uuid4().hex[:8]
    queue = Queue(name, conn)
    started = {}

    async def process(job, token):
        now = time.time() * 1000
        millis = int(job.id.rsplit(":", 1)[-1])
        started.setdefault(millis, []).append(now)
        return None

    pool = [Worker(name, process, {**conn, "concurrency": 5}) for _ in range(workers)]
    start = int(time.time() * 1000)
    window = seconds * 1000
    await queue.upsertJobScheduler("tick", {"every": 1000, "startDate": start}, "tick", {})
    while time.time() * 1000 < start + window + 1500:
        await asyncio.sleep(0.1)
    for worker in pool:
        await worker.close()
    in_window = {k: v for k, v in started.items() if start <= k < start + window}
    duplicates = sum(len(v) - 1 for v in started.values())
    lateness = sorted(min(v) - k for k, v in in_window.items())
    print(f"schedule_runs,{len(in_window)}")
    print(f"schedule_duplicates,{duplicates}")
    print(f"schedule_late_p50_ms,{lateness[len(lateness) // 2] if lateness else 0:.1f}")
    print(f"schedule_late_p99_ms,{lateness[min(len(lateness) - 1, len(lateness) * 99 // 100)] if lateness else 0:.1f}")
    await queue.removeJobScheduler("tick")
    await queue.obliterate(force=True)
    await queue.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))

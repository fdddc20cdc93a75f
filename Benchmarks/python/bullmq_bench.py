"""Python bullmq 3.4.4 side of Benchmarks/run-queue-benchmark: the same four measurements as
Benchmarks/QueueBenchmark, printed as CSV lines "metric,value"."""
import asyncio
import sys
import time
import uuid

from bullmq import Queue, Worker


async def main(url, sequential, bulk, processed, samples, concurrency):
    conn = {"connection": url}

    name = "bench-add-" + uuid.uuid4().hex[:8]
    queue = Queue(name, conn)
    start = time.perf_counter()
    for i in range(sequential):
        await queue.add("job", {"n": i})
    print(f"add_sequential,{sequential / (time.perf_counter() - start):.1f}")
    await queue.obliterate(force=True)
    await queue.close()

    name = "bench-bulk-" + uuid.uuid4().hex[:8]
    queue = Queue(name, conn)
    start = time.perf_counter()
    for offset in range(0, bulk, 2000):
        await queue.addBulk([{"name": "job", "data": {"n": i}} for i in range(offset, min(bulk, offset + 2000))])
    print(f"add_bulk,{bulk / (time.perf_counter() - start):.1f}")
    await queue.obliterate(force=True)
    await queue.close()

    name = "bench-process-" + uuid.uuid4().hex[:8]
    queue = Queue(name, conn)
    for offset in range(0, processed, 2000):
        await queue.addBulk([{"name": "job", "data": {"n": i}} for i in range(offset, min(processed, offset + 2000))])
    done = 0
    finished = asyncio.Event()

    async def process(job, token):
        nonlocal done
        done += 1
        if done >= processed:
            finished.set()
        return None

    start = time.perf_counter()
    worker = Worker(name, process, {**conn, "concurrency": concurrency})
    await finished.wait()
    elapsed = time.perf_counter() - start
    await worker.close()
    print(f"process,{processed / elapsed:.1f}")
    await queue.obliterate(force=True)
    await queue.close()

    name = "bench-latency-" + uuid.uuid4().hex[:8]
    queue = Queue(name, conn)
    latencies = []
    started = asyncio.Event()

    async def record(job, token):
        latencies.append(time.time() * 1000 - job.data["t"])
        started.set()
        return None

    worker = Worker(name, record, {**conn, "concurrency": 1})
    await asyncio.sleep(0.5)
    for _ in range(samples):
        started.clear()
        await queue.add("job", {"t": time.time() * 1000})
        await started.wait()
        await asyncio.sleep(0.01)
    await worker.close()
    latencies.sort()
    print(f"pickup_p50_ms,{latencies[len(latencies) // 2]:.3f}")
    print(f"pickup_p99_ms,{latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]:.3f}")
    await queue.obliterate(force=True)
    await queue.close()


if __name__ == "__main__":
    url, sequential, bulk, processed, samples, concurrency = sys.argv[1:7]
    asyncio.run(main(url, int(sequential), int(bulk), int(processed), int(samples), int(concurrency)))

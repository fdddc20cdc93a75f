"""Times the admin dashboard's API calls against a release `obotcall api`, and the Redis reads a
BullMQ dashboard makes for the same pages through Python bullmq (the peer), on the same Redis.

Usage: dashboard_bench.py BASE_URL PLATFORM_TOKEN TENANT_TOKEN REDIS_URL QUEUE REQUESTS

Prints one `key value` line per figure: p50/p95/max in milliseconds and the answer's size in
bytes for each page call, then the peer's p50/p95.
"""

import asyncio
import http.client
import statistics
import sys
import time
import urllib.parse


def percentile(samples, share):
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, int(round(share * len(ordered) + 0.5)) - 1))
    return ordered[index]


def time_calls(base, token, path, requests):
    """Sequential calls on one kept-alive connection, as one admin's browser makes them."""
    parsed = urllib.parse.urlparse(base)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    samples = []
    size = 0
    for index in range(requests + 5):
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        answer = connection.getresponse()
        body = answer.read()
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status != 200:
            raise SystemExit(f"{path} answered {answer.status}: {body[:200]!r}")
        size = len(body)
        if index >= 5:  # the first calls warm the connection and the server's caches
            samples.append(elapsed)
    connection.close()
    return samples, size


async def time_peer(redis_url, queue_name, requests):
    """What a BullMQ dashboard reads for an overview (counts) and a jobs page (50 completed)."""
    from bullmq import Queue

    parsed = urllib.parse.urlparse(redis_url)
    queue = Queue(queue_name, {"prefix": "bench", "connection": {"host": parsed.hostname, "port": parsed.port}})
    overview, page = [], []
    try:
        for index in range(requests + 5):
            started = time.perf_counter()
            await queue.getJobCounts("waiting", "active", "prioritized", "delayed", "completed", "failed", "waiting-children")
            middle = time.perf_counter()
            await queue.getJobs(["completed"], 0, 49)
            ended = time.perf_counter()
            if index >= 5:
                overview.append((middle - started) * 1000)
                page.append((ended - middle) * 1000)
    finally:
        await queue.close()
    return overview, page


def main():
    base, platform, tenant, redis_url, queue, requests = sys.argv[1:7]
    requests = int(requests)
    calls = [
        ("overview", platform, "/api/admin/queues"),
        ("overview_chart", platform, f"/api/admin/queues/{queue}/metrics?minutes=60"),
        ("jobs_page_1", platform, f"/api/admin/queues/{queue}/jobs?state=completed&page=1"),
        ("jobs_page_oldest", platform, f"/api/admin/queues/{queue}/jobs?state=completed&page=1&order=oldest"),
        ("jobs_page_10000", platform, f"/api/admin/queues/{queue}/jobs?state=completed&page=10000"),
        ("tenant_overview", tenant, "/api/admin/queues"),
        ("tenant_chart", tenant, f"/api/admin/queues/{queue}/metrics?minutes=60"),
        ("tenant_jobs_page_1", tenant, f"/api/admin/queues/{queue}/jobs?state=completed&page=1"),
        ("search_text", platform, "/api/admin/jobs/search?text=connection%20refused"),
        ("search_id", platform, "/api/admin/jobs/search?id=424242"),
    ]
    for key, token, path in calls:
        samples, size = time_calls(base, token, path, requests)
        print(f"{key}_p50 {statistics.median(samples):.2f}")
        print(f"{key}_p95 {percentile(samples, 0.95):.2f}")
        print(f"{key}_max {max(samples):.2f}")
        print(f"{key}_bytes {size}")
        sys.stdout.flush()
    overview, page = asyncio.run(time_peer(redis_url, queue, requests))
    print(f"peer_overview_p50 {statistics.median(overview):.2f}")
    print(f"peer_overview_p95 {percentile(overview, 0.95):.2f}")
    print(f"peer_jobs_page_1_p50 {statistics.median(page):.2f}")
    print(f"peer_jobs_page_1_p95 {percentile(page, 0.95):.2f}")


if __name__ == "__main__":
    main()

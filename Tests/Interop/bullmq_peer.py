"""The BullMQ side of the interoperability tests (Tests/QueueTests/BullMQInteropTests.swift).

Drives the real `bullmq` 3.4.4 package (BullMQ v6's Python counterpart) against the same Redis
as the Swift queue. Each subcommand prints one JSON document on stdout.

  add URL QUEUE SPEC          SPEC: JSON list of {"name", "data", "opts"}; prints the job ids
  work URL QUEUE COUNT SECS   runs a Worker until COUNT jobs of the queue are finished (or SECS
                              pass); jobs named "fail" raise; prints the ids it ran
  inspect URL QUEUE IDS       prints counts and, per id, state, returnvalue, failedReason, attempts
  events URL QUEUE COUNT SECS listens with QueueEvents from the start of the stream until COUNT
                              "completed" events; prints them
  pause URL QUEUE / resume URL QUEUE
  schedule URL QUEUE ID REPEAT NAME DATA
                              upsertJobScheduler with REPEAT (JSON repeat options) and a job
                              template of NAME and DATA (JSON); prints the first job's id
  schedulers URL QUEUE        prints getJobSchedulers() (all of them)
  ratelimit URL QUEUE MS      Queue.rateLimit(MS): holds the queue's workers; prints true
  flow URL QUEUE SPEC         FlowProducer.add(SPEC) (a flow as FlowProducer takes it; QUEUE is
                              its root's queue); prints the tree of ids {"id", "children"}
  children URL QUEUE ID       prints the job's getChildrenValues()

A job named "parent" run by `work` returns its children's values: {"by", "children"}.
"""
import asyncio
import json
import sys
import time

from bullmq import FlowProducer, Job, Queue, QueueEvents, Worker


def connection(url):
    return {"connection": url}


async def add(url, name, spec):
    queue = Queue(name, connection(url))
    ids = []
    for item in json.loads(spec):
        job = await queue.add(item["name"], item.get("data", {}), item.get("opts", {}))
        ids.append(job.id)
    await queue.close()
    print(json.dumps(ids))


async def work(url, name, count, seconds, concurrency=10):
    queue = Queue(name, connection(url))
    ran = []

    async def process(job, token):
        ran.append(job.id)
        if job.name == "fail":
            raise Exception("python says no")
        if job.name == "parent":
            return {"by": "python", "children": await job.getChildrenValues()}
        return {"by": "python", "n": job.data.get("n")}

    worker = Worker(name, process, {**connection(url), "concurrency": concurrency})
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        counts = await queue.getJobCounts("completed", "failed")
        if counts["completed"] + counts["failed"] >= count:
            break
        await asyncio.sleep(0.05)
    await worker.close()
    await queue.close()
    print(json.dumps(ran))


async def inspect(url, name, ids):
    queue = Queue(name, connection(url))
    counts = await queue.getJobCounts("waiting", "active", "delayed", "prioritized", "completed", "failed", "paused")
    jobs = {}
    for job_id in json.loads(ids):
        job = await Job.fromId(queue, job_id)
        if job is None:
            jobs[job_id] = None
            continue
        jobs[job_id] = {
            "name": job.name,
            "data": job.data,
            "state": await job.getState(),
            "returnvalue": job.returnvalue,
            "failedReason": job.failedReason,
            "attemptsMade": job.attemptsMade,
            "progress": job.progress,
        }
    paused = await queue.isPaused()
    await queue.close()
    print(json.dumps({"counts": counts, "jobs": jobs, "paused": paused}))


async def events(url, name, count, seconds):
    listener = QueueEvents(name, {**connection(url), "lastEventId": "0-0", "blockingTimeout": 200})
    seen = []
    done = asyncio.Event()

    def completed(event, *args):
        seen.append({"jobId": event["jobId"], "returnvalue": event.get("returnvalue")})
        if len(seen) >= count:
            done.set()

    listener.on("completed", completed)
    try:
        await asyncio.wait_for(done.wait(), seconds)
    except asyncio.TimeoutError:
        pass
    await listener.close()
    print(json.dumps(seen))


async def set_paused(url, name, paused):
    queue = Queue(name, connection(url))
    if paused:
        await queue.pause()
    else:
        await queue.resume()
    await queue.close()
    print(json.dumps({"paused": paused}))


async def schedule(url, name, scheduler_id, repeat, job_name, data):
    queue = Queue(name, connection(url))
    job = await queue.upsertJobScheduler(scheduler_id, json.loads(repeat), job_name, json.loads(data))
    await queue.close()
    print(json.dumps(job.id if job else None))


async def schedulers(url, name):
    queue = Queue(name, connection(url))
    found = await queue.getJobSchedulers(0, -1, True)
    await queue.close()
    print(json.dumps(found, default=str))


async def rate_limit(url, name, milliseconds):
    queue = Queue(name, connection(url))
    await queue.rateLimit(milliseconds)
    await queue.close()
    print(json.dumps(True))


async def flow(url, spec):
    producer = FlowProducer(connection(url))
    tree = await producer.add(json.loads(spec))
    await producer.close()

    def shape(node):
        return {"id": node["job"].id, "children": [shape(child) for child in node.get("children", [])]}

    print(json.dumps(shape(tree)))


async def children(url, name, job_id):
    queue = Queue(name, connection(url))
    job = await Job.fromId(queue, job_id)
    values = await job.getChildrenValues() if job else None
    await queue.close()
    print(json.dumps(values))


def main():
    command, url, name, *rest = sys.argv[1:]
    if command == "add":
        asyncio.run(add(url, name, rest[0]))
    elif command == "work":
        asyncio.run(work(url, name, int(rest[0]), float(rest[1]), int(rest[2]) if len(rest) > 2 else 10))
    elif command == "inspect":
        asyncio.run(inspect(url, name, rest[0]))
    elif command == "events":
        asyncio.run(events(url, name, int(rest[0]), float(rest[1])))
    elif command == "schedule":
        asyncio.run(schedule(url, name, *rest[:4]))
    elif command == "ratelimit":
        asyncio.run(rate_limit(url, name, int(rest[0])))
    elif command == "flow":
        asyncio.run(flow(url, rest[0]))
    elif command == "children":
        asyncio.run(children(url, name, rest[0]))
    elif command == "schedulers":
        asyncio.run(schedulers(url, name))
    elif command in ("pause", "resume"):
        asyncio.run(set_paused(url, name, command == "pause"))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()

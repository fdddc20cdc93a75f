import Foundation
import Metrics
import Queue

/// The worker's metrics for one queue, through swift-metrics (exported as Prometheus by `obotcall worker`).
struct WorkerMetrics: Sendable {
    let queue: String

    private func counter(_ label: String, _ job: Job) -> Counter {
        Counter(label: label, dimensions: [("queue", queue), ("name", job.name)])
    }

    private var inFlight: Meter { Meter(label: "obotcall_jobs_in_flight", dimensions: [("queue", queue)]) }

    func started(_ job: Job) {
        inFlight.increment()
        // Time from creation (or the end of its delay) to this attempt's start.
        let started = job.processedOn ?? job.timestamp
        let waited = max(0, started - job.timestamp - job.delay)
        Timer(label: "obotcall_job_wait_seconds", dimensions: [("queue", queue)], preferredDisplayUnit: .seconds)
            .recordMilliseconds(waited)
    }

    func finished(_ job: Job, after seconds: TimeInterval) {
        inFlight.decrement()
        Timer(label: "obotcall_job_duration_seconds", dimensions: [("queue", queue), ("name", job.name)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    func completed(_ job: Job) { counter("obotcall_jobs_processed_total", job).increment() }
    func failed(_ job: Job) { counter("obotcall_jobs_failed_total", job).increment() }
    func retried(_ job: Job) { counter("obotcall_jobs_retried_total", job).increment() }
    func delayed(_ job: Job) { counter("obotcall_jobs_delayed_total", job).increment() }
}

import Metrics
import NIOCore
import Queue

/// The worker's metrics for one queue, through swift-metrics (exported as Prometheus by
/// `obotcall worker`): a middleware around every attempt, counting how each one ended. Per
/// tenant (under a bounded label, ``TenantMetricLabels``) it counts jobs completed and failed
/// and the processing time.
struct WorkerMetrics: JobMiddleware {
    let queue: String
    let tenants: TenantMetricLabels

    func run(_ context: JobContext, next: @Sendable (JobContext) async throws -> String?) async throws -> String? {
        let job = context.job
        let started = ContinuousClock.now
        self.started(job)
        defer { finished(job, after: ContinuousClock.now - started) }
        do {
            let value = try await next(context)
            completed(job)
            return value
        } catch {
            switch AttemptEnding(job, error: error) {
            case .completed: completed(job)
            case .delayed: delayed(job)
            case .retrying: retried(job)
            case .failed: failed(job)
            }
            throw error
        }
    }

    private func counter(_ label: String, _ job: Job) -> Counter {
        Counter(label: label, dimensions: [("queue", queue), ("name", job.name)])
    }

    private var inFlight: Meter { Meter(label: "obotcall_jobs_in_flight", dimensions: [("queue", queue)]) }

    private func started(_ job: Job) {
        inFlight.increment()
        // Time from creation (or the end of its delay) to this attempt's start.
        let started = job.processedOn ?? job.timestamp
        let waited = max(0, started - job.timestamp - job.delay)
        Timer(label: "obotcall_job_wait_seconds", dimensions: [("queue", queue)], preferredDisplayUnit: .seconds)
            .recordMilliseconds(waited)
    }

    private func tenantCounter(_ label: String, _ job: Job) -> Counter {
        Counter(label: label, dimensions: [("queue", queue), ("tenant", tenants.label(for: job.tenantID))])
    }

    private func finished(_ job: Job, after duration: Duration) {
        inFlight.decrement()
        tenantCounter("obotcall_tenant_processing_milliseconds_total", job).increment(by: max(0, duration.milliseconds))
        Timer(label: "obotcall_job_duration_seconds", dimensions: [("queue", queue), ("name", job.name)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(TimeAmount(duration).nanoseconds)
    }

    private func completed(_ job: Job) {
        counter("obotcall_jobs_processed_total", job).increment()
        tenantCounter("obotcall_tenant_jobs_completed_total", job).increment()
    }

    private func failed(_ job: Job) {
        counter("obotcall_jobs_failed_total", job).increment()
        tenantCounter("obotcall_tenant_jobs_failed_total", job).increment()
    }
    private func retried(_ job: Job) { counter("obotcall_jobs_retried_total", job).increment() }
    private func delayed(_ job: Job) { counter("obotcall_jobs_delayed_total", job).increment() }
}

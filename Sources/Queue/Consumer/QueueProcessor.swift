import Foundation
public import Logging
import Redis
public import ServiceLifecycle
import Synchronization

/// Runs a queue's jobs with bounded concurrency: the consumer loop that workers are built on.
///
/// `concurrency` slots each take a job, run the handler, and finish the job while fetching the
/// next one in the same script call. Idle slots wait for a wake-up from one `BZPOPMIN` on the
/// queue's marker (a dedicated connection), so a new job is picked up as soon as it is added and
/// nothing polls. Locks of running jobs are renewed in one batch call; the stalled check runs
/// on its interval. On graceful shutdown (or ``stop()``) the slots stop fetching, running jobs
/// get `gracefulShutdownTimeout` to finish, and what is still running after that is cancelled.
public final class QueueProcessor: Service, Sendable {
    /// Returns the job's result as JSON text (`nil`: `null`); throws to fail the attempt.
    public typealias Handler = @Sendable (JobContext) async throws -> String?

    public let queue: Queue
    public let options: ProcessorOptions
    let handler: Handler
    let logger: Logger
    let token: String
    private let state = Mutex(ProcessorState())

    public init(queue: Queue, options: ProcessorOptions = .init(), logger: Logger? = nil, handler: @escaping Handler) {
        self.queue = queue
        self.options = options
        self.handler = handler
        var logger = logger ?? queue.logger
        logger[metadataKey: "queue"] = "\(queue.name)"
        self.logger = logger
        self.token = UUID().uuidString.lowercased()
    }

    var fetchOptions: FetchOptions {
        FetchOptions(token: token, lockDuration: options.lockDuration, limiter: options.limiter, workerName: options.workerName)
    }

    /// Stops taking jobs; running jobs finish (within the graceful shutdown timeout).
    public func stop() {
        let waiters = state.withLock { state in state.stop() }
        for waiter in waiters { waiter.resume() }
    }

    /// Ids of the jobs running now.
    public var runningJobs: [String] {
        state.withLock { Array($0.running.keys) }
    }

    // MARK: Service

    public func run() async throws {
        logger.info("processor started", metadata: ["concurrency": "\(options.concurrency)"])
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Child.self) { group in
                for _ in 0..<options.concurrency {
                    group.addTask { await self.slotLoop(); return .slot }
                }
                group.addTask { await self.markerLoop(); return .helper }
                group.addTask { await self.lockRenewalLoop(); return .helper }
                group.addTask { await self.stalledCheckLoop(); return .helper }
                group.addTask { await self.graceTimer(); return .graceExpired }

                var slotsLeft = options.concurrency
                while slotsLeft > 0, let finished = await group.next() {
                    switch finished {
                    case .slot:
                        slotsLeft -= 1
                    case .graceExpired:
                        let running = runningJobs
                        logger.warning(
                            "graceful shutdown timeout reached; cancelling running jobs (the stalled check will recover them)",
                            metadata: ["jobs": "\(running)"])
                        group.cancelAll()
                    case .helper:
                        break
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stop()
        }
        logger.info("processor stopped")
    }

    private enum Child { case slot, helper, graceExpired }

    // MARK: Slots

    private func slotLoop() async {
        var next: Job?
        var failures = 0
        while !Task.isCancelled {
            do {
                if next == nil {
                    let generation = state.withLock { $0.generation }
                    if state.withLock({ $0.stopping }) { return }
                    switch try await queue.fetch(fetchOptions) {
                    case .job(let job):
                        next = job
                    case .rateLimited(let delay):
                        await sleepOrStop(min(delay, options.maximumRateLimitDelay))
                        continue
                    case .empty(let due):
                        // The marker loop normally wakes slots when a delayed job is due; the
                        // slot's own timer covers a marker lost with a connection.
                        if let due { await waitForWake(since: generation, until: due) } else { await waitForWake(since: generation) }
                        continue
                    }
                }
                guard let job = next else { continue }
                next = try await process(job)
                failures = 0
            } catch is CancellationError {
                return
            } catch {
                next = nil
                failures += 1
                let delay = Duration.milliseconds(min(5_000, 50 << min(failures, 7)))
                logger.error("queue operation failed; retrying", metadata: ["error": "\(error)", "retryIn": "\(delay)"])
                await sleepOrStop(delay)
            }
        }
    }

    /// Runs one job and finishes it; returns the next job when the finish fetched one.
    private func process(_ job: Job) async throws -> Job? {
        let fetchNext: FetchOptions? = state.withLock { $0.stopping } ? nil : fetchOptions
        if let reason = job.deferredFailure {
            return try await queue.fail(job, token: token, reason: reason, unrecoverable: true, fetchNext: fetchNext).next?.job
        }
        state.withLock { $0.running[job.id] = token }
        defer { state.withLock { _ = $0.running.removeValue(forKey: job.id) } }

        let outcome = await runHandler(job)
        if Task.isCancelled {
            // Cancelled at the end of the grace period: leave the job active for stall recovery.
            throw CancellationError()
        }
        do {
            switch outcome {
            case .success(let value):
                return try await queue.complete(job, token: token, returnValue: value ?? "null", fetchNext: fetchNext)?.job
            case .failure(let error as DelayJobError):
                logger.info("job delayed without counting an attempt", metadata: ["job": "\(job.id)", "reason": "\(error.reason)"])
                try await queue.moveToDelayed(job, token: token, delay: error.delay)
                return nil
            case .failure(let error):
                let unrecoverable = error is UnrecoverableJobError
                let (result, next) = try await queue.fail(
                    job, token: token, reason: Self.reason(for: error), stacktrace: [String(reflecting: error)],
                    unrecoverable: unrecoverable, fetchNext: fetchNext)
                logger.info("job failed", metadata: ["job": "\(job.id)", "outcome": "\(result)", "error": "\(error)"])
                return next?.job
            }
        } catch let error as QueueError where error.code == .lockLost || error.code == .wrongState {
            logger.warning("job finished after losing its lock; another worker owns it now", metadata: ["job": "\(job.id)", "error": "\(error)"])
            return nil
        }
    }

    /// The failure reason stored on the job: an error's own description, or Foundation's
    /// localized description for `NSError`s and `LocalizedError`s.
    public static func reason(for error: any Error) -> String {
        if let localized = error as? any LocalizedError, let description = localized.errorDescription {
            return description
        }
        if type(of: error) is NSError.Type {
            return (error as NSError).localizedDescription
        }
        return String(describing: error)
    }

    private func runHandler(_ job: Job) async -> Result<String?, any Error> {
        let context = JobContext(job: job, queue: queue, token: token)
        guard let timeout = job.options.timeout else {
            do { return .success(try await handler(context)) } catch { return .failure(error) }
        }
        return await withTaskGroup(of: Result<String?, any Error>?.self) { group in
            group.addTask {
                do { return .success(try await self.handler(context)) } catch { return .failure(error) }
            }
            group.addTask {
                do { try await Task.sleep(for: timeout) } catch { return nil }
                return .failure(JobTimeoutError(timeout: timeout))
            }
            var outcome: Result<String?, any Error> = .failure(CancellationError())
            if let first = await group.next(), let value = first { outcome = value }
            group.cancelAll()
            return outcome
        }
    }

    // MARK: Waking idle slots

    private func waitForWake(since generation: Int) async {
        await park(.wake(since: generation))
    }

    /// Waits for a wake-up, or until `due` (ms since 1970) at the latest.
    private func waitForWake(since generation: Int, until due: Int) async {
        let delay = Duration.milliseconds(max(1, due - Queue.now()))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.park(.wake(since: generation)) }
            group.addTask { try? await Task.sleep(for: delay) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Suspends until woken (`.wake`) or stopped (`.stop`), or the task is cancelled.
    private func park(_ reason: ParkReason) async {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.stopping || Task.isCancelled { return true }
                    switch reason {
                    case .wake(let generation):
                        if state.generation != generation { return true }
                        state.waiters[id] = continuation
                    case .stop:
                        state.stopWaiters[id] = continuation
                    }
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let parked = state.withLock { state in
                state.waiters.removeValue(forKey: id) ?? state.stopWaiters.removeValue(forKey: id)
            }
            parked?.resume()
        }
    }

    private enum ParkReason {
        case wake(since: Int)
        case stop
    }

    private func wakeAll() {
        for waiter in state.withLock({ $0.wake(count: .max) }) { waiter.resume() }
    }

    private func wakeOne() {
        for waiter in state.withLock({ $0.wake(count: 1) }) { waiter.resume() }
    }

    /// Blocks on the marker and wakes idle slots: all of them when jobs are waiting, one when a
    /// wait times out (its fetch promotes due delayed jobs and, on success, re-adds the marker).
    private func markerLoop() async {
        var blockUntil: Int?
        var failures = 0
        while !Task.isCancelled && !state.withLock({ $0.stopping }) {
            do {
                try await queue.redis.withConnection { connection in
                    while !Task.isCancelled && !self.state.withLock({ $0.stopping }) {
                        let now = Queue.now()
                        var timeout = self.options.drainDelay
                        if let due = blockUntil {
                            timeout = min(timeout, .milliseconds(max(1, due - now)))
                        }
                        let score = try await self.queue.waitForWork(on: connection, timeout: timeout)
                        failures = 0
                        let after = Queue.now()
                        if let score {
                            if score <= after {
                                blockUntil = nil
                                self.wakeAll()
                            } else {
                                blockUntil = min(blockUntil ?? .max, score)
                            }
                        } else if let due = blockUntil, due <= after {
                            blockUntil = nil
                            self.wakeAll()
                        } else {
                            self.wakeOne()
                        }
                    }
                }
            } catch {
                if Task.isCancelled || state.withLock({ $0.stopping }) { return }
                failures += 1
                let delay = Duration.milliseconds(min(5_000, 50 << min(failures, 7)))
                logger.warning("waiting for jobs failed; retrying", metadata: ["error": "\(error)", "retryIn": "\(delay)"])
                // Slots may have missed a wake-up while the connection was down.
                wakeAll()
                await sleepOrStop(delay)
            }
        }
    }

    // MARK: Locks and stalled jobs

    private func lockRenewalLoop() async {
        while !Task.isCancelled {
            await sleepOrStop(options.lockRenewInterval)
            let running = state.withLock { state in state.running.map { (id: $0.key, token: $0.value) } }
            if running.isEmpty {
                if state.withLock({ $0.stopping }) { return }
                continue
            }
            do {
                let lost = try await queue.extendLocks(running, duration: options.lockDuration)
                if !lost.isEmpty {
                    logger.warning("lost the lock of running jobs; they may be run again elsewhere", metadata: ["jobs": "\(lost)"])
                }
            } catch {
                logger.warning("renewing job locks failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The name admins see in "workers seen": the worker's name and this processor's token.
    var heartbeatName: String { "\(options.workerName ?? "worker"):\(token.prefix(8))" }

    private func stalledCheckLoop() async {
        while !Task.isCancelled && !state.withLock({ $0.stopping }) {
            do {
                try await queue.heartbeat(worker: heartbeatName)
            } catch {
                logger.debug("heartbeat failed", metadata: ["error": "\(error)"])
            }
            do {
                let (recovered, failing) = try await queue.recoverStalled(
                    maxStalledCount: options.maxStalledCount, interval: options.stalledInterval)
                if !recovered.isEmpty {
                    logger.warning("recovered stalled jobs", metadata: ["jobs": "\(recovered)", "failing": "\(failing)"])
                    wakeAll()
                }
            } catch {
                logger.warning("stalled check failed", metadata: ["error": "\(error)"])
            }
            await sleepOrStop(options.stalledInterval)
        }
        // Best effort: a worker that cannot say goodbye ages out of the heartbeat window.
        try? await queue.forgetWorker(heartbeatName)
    }

    /// Waits for a stop request, then for the grace period.
    private func graceTimer() async {
        await park(.stop)
        if Task.isCancelled { return }
        try? await Task.sleep(for: options.gracefulShutdownTimeout)
    }

    /// Sleeps for `duration`, returning early on stop or cancellation.
    private func sleepOrStop(_ duration: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: duration) }
            group.addTask { await self.park(.stop) }
            await group.next()
            group.cancelAll()
        }
    }
}

/// The processor's shared mutable state.
struct ProcessorState {
    var stopping = false
    /// Incremented on every wake-up, so a slot that fetched nothing before a wake-up does not sleep through it.
    var generation = 0
    var nextWaiterID = 0
    /// Idle slots, by arrival.
    var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    var stopWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
    /// Running job id → lock token.
    var running: [String: String] = [:]

    mutating func stop() -> [CheckedContinuation<Void, Never>] {
        guard !stopping else { return [] }
        stopping = true
        generation += 1
        let all = Array(waiters.values) + Array(stopWaiters.values)
        waiters = [:]
        stopWaiters = [:]
        return all
    }

    mutating func wake(count: Int) -> [CheckedContinuation<Void, Never>] {
        generation += 1
        let ids = waiters.keys.sorted().prefix(count)
        return ids.compactMap { waiters.removeValue(forKey: $0) }
    }
}

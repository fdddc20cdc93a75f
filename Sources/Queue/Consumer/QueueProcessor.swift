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
/// on its interval.
///
/// Every handler runs under its job's timeout (`JobOptions.timeout`, else the processor's
/// `jobTimeout`): past it the handler is cancelled, its lock is no longer renewed, and the job
/// fails that attempt with ``JobTimeoutError`` — even when the handler ignores cancellation.
///
/// On graceful shutdown (or ``stop()``) nothing more is fetched, not even by a finishing job;
/// running jobs get `gracefulShutdownTimeout` to finish; what still runs after that is cancelled
/// and released: moved back to wait without counting the attempt, for the next worker to run.
public final class QueueProcessor: Service, Sendable {
    /// Returns the job's result as JSON text (`nil`: `null`); throws to fail the attempt.
    public typealias Handler = @Sendable (JobContext) async throws -> String?
    /// Told when the processor gives up on a handler (its timeout passed, or the job was
    /// cancelled: a ``JobTimeoutError`` or a ``JobCancelledError``) and fails the attempt itself,
    /// so that whoever records outcomes can record this one.
    public typealias AbandonedHandler = @Sendable (JobContext, any Error) async -> Void

    public let queue: Queue
    public let options: ProcessorOptions
    let handler: Handler
    let onAbandoned: AbandonedHandler?
    let logger: Logger
    let token: String
    private let state = Mutex(ProcessorState())

    public init(
        queue: Queue, options: ProcessorOptions = .init(), logger: Logger? = nil, onAbandoned: AbandonedHandler? = nil,
        handler: @escaping Handler
    ) {
        self.queue = queue
        self.options = options
        self.handler = handler
        self.onAbandoned = onAbandoned
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

    /// Lock renewal calls made so far.
    var lockRenewalCalls: Int { state.withLock { $0.lockRenewalCalls } }

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
                    group.addTask {
                        await self.slotLoop(); return .slot
                    }
                }
                group.addTask {
                    await self.markerLoop(); return .helper
                }
                group.addTask {
                    await self.lockRenewalLoop(); return .helper
                }
                group.addTask {
                    await self.cancellationLoop(); return .helper
                }
                group.addTask {
                    await self.stalledCheckLoop(); return .helper
                }
                group.addTask {
                    await self.graceTimer(); return .graceExpired
                }

                var slotsLeft = options.concurrency
                while slotsLeft > 0, let finished = await group.next() {
                    switch finished {
                    case .slot:
                        slotsLeft -= 1
                    case .graceExpired:
                        let released = releaseRunning()
                        if !released.isEmpty {
                            logger.warning(
                                "graceful shutdown timeout reached; cancelling running jobs and moving them back to wait",
                                metadata: ["jobs": "\(released)"])
                        }
                        // Releasing is a Redis call per job; past this bound the slots are cancelled.
                        group.addTask {
                            try? await Task.sleep(for: self.options.releaseTimeout)
                            return .releaseExpired
                        }
                    case .releaseExpired:
                        logger.warning("releasing jobs took too long; cancelling (the stalled check will recover them)")
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

    private enum Child { case slot, helper, graceExpired, releaseExpired }

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
        if job.schedulerID != nil { await advanceScheduler(after: job) }
        if job.cancelRequested {
            // Cancelled while it ran and given back since (a retry, a stall): it ends here, and
            // whoever records outcomes hears of it as of any cancelled attempt.
            let error = JobCancelledError()
            if let onAbandoned { await onAbandoned(JobContext(job: job, queue: queue, token: token), error) }
            return try await fail(job, error: error, fetchNext: nextFetch())
        }
        if let reason = job.deferredFailure {
            return try await queue.fail(job, token: token, reason: reason, unrecoverable: true, fetchNext: nextFetch()).next?.job
        }
        let context = JobContext(job: job, queue: queue, token: token)
        let ending = await runHandler(context)
        // Decided only now: a stop requested while the handler ran means no next job.
        let fetchNext = nextFetch()
        do {
            switch ending {
            case .returned(.success(let value)):
                do {
                    return try await queue.complete(job, token: token, returnValue: value ?? "null", fetchNext: fetchNext)?.job
                } catch let error as QueueError where error.code == .childrenPending {
                    // A flow's parent that returned before its children finished waits for them.
                    logger.warning("job returned with children pending; it waits for them", metadata: ["job": "\(job.id)"])
                    try await queue.waitForChildren(job, token: token)
                    return nil
                } catch let error as QueueError where error.code == .childFailed {
                    let reason = try await queue.job(job.id)?.deferredFailure ?? "a child failed"
                    return try await queue.fail(job, token: token, reason: reason, unrecoverable: true, fetchNext: fetchNext).next?.job
                }
            case .returned(.failure(let error as RateLimitedError)):
                // Hold first, so no worker takes the job straight back.
                logger.info(
                    "rate limited; holding the queue", metadata: ["job": "\(job.id)", "for": "\(error.retryAfter)", "reason": "\(error.reason)"])
                try await queue.rateLimit(for: error.retryAfter)
                try await queue.release(job, token: token)
                return nil
            case .returned(.failure(is WaitForChildren)):
                let state = try await queue.waitForChildren(job, token: token)
                logger.debug("job waits for its children", metadata: ["job": "\(job.id)", "state": "\(state)"])
                return nil
            case .returned(.failure(let error as DelayJobError)):
                logger.info("job delayed without counting an attempt", metadata: ["job": "\(job.id)", "reason": "\(error.reason)"])
                try await queue.moveToDelayed(job, token: token, delay: error.delay)
                return nil
            case .returned(.failure(let error)):
                return try await fail(job, error: error, fetchNext: fetchNext)
            case .timedOut(let timeout):
                let error = JobTimeoutError(timeout: timeout)
                logger.warning("job timed out; its handler was cancelled", metadata: ["job": "\(job.id)", "timeout": "\(timeout)"])
                if let onAbandoned { await onAbandoned(context, error) }
                return try await fail(job, error: error, fetchNext: fetchNext)
            case .cancelled:
                let error = JobCancelledError()
                logger.info("job cancelled; its handler was cancelled", metadata: ["job": "\(job.id)"])
                if let onAbandoned { await onAbandoned(context, error) }
                return try await fail(job, error: error, fetchNext: fetchNext)
            case .released:
                try await queue.release(job, token: token)
                logger.info("job moved back to wait at shutdown", metadata: ["job": "\(job.id)"])
                return nil
            }
        } catch let error as QueueError where error.code == .lockLost || error.code == .wrongState {
            logger.warning("job finished after losing its lock; another worker owns it now", metadata: ["job": "\(job.id)", "error": "\(error)"])
            return nil
        }
    }

    /// A scheduler's job was taken: its next run's job is added now (BullMQ's workers do the same),
    /// so the schedule goes on whatever this run's outcome. A failure here is logged, not fatal to
    /// the job: the scheduler waits for an upsert or the next worker to take this run.
    private func advanceScheduler(after job: Job) async {
        do {
            switch try await queue.advanceScheduler(after: job) {
            case .added(let run):
                logger.debug("scheduler's next job added", metadata: ["job": "\(job.id)", "next": "\(run.jobID)"])
            case .finished:
                logger.info("scheduler reached its limit or end date", metadata: ["job": "\(job.id)", "scheduler": "\(job.schedulerID ?? "")"])
            case .notCurrent:
                break
            case .unreadable:
                logger.warning(
                    "a scheduler's job carries no schedule this worker can read; the scheduler stops here",
                    metadata: ["job": "\(job.id)", "scheduler": "\(job.schedulerID ?? "")"])
            }
        } catch {
            logger.error("cannot add a scheduler's next job", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }

    /// What a finishing job fetches next: nothing once stopping.
    private func nextFetch() -> FetchOptions? {
        state.withLock { $0.stopping } ? nil : fetchOptions
    }

    private func fail(_ job: Job, error: any Error, fetchNext: FetchOptions?) async throws -> Job? {
        let unrecoverable = error is UnrecoverableJobError || error is JobCancelledError
        let (result, next) = try await queue.fail(
            job, token: token, reason: Self.reason(for: error), stacktrace: [String(reflecting: error)],
            unrecoverable: unrecoverable, fetchNext: fetchNext)
        logger.info("job failed", metadata: ["job": "\(job.id)", "outcome": "\(result)", "error": "\(error)"])
        return next?.job
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

    /// Runs the handler in its own task and waits for the first ending (see ``HandlerRun``). While
    /// it runs, the job is in `running` (its lock is renewed); once the wait ends it is not, so a
    /// handler that is given up on no longer keeps its job's lock alive.
    private func runHandler(_ context: JobContext) async -> HandlerRun.Ending {
        let run = HandlerRun()
        let job = context.job
        let admitted = state.withLock { state -> Bool in
            guard !state.releasing else { return false }
            state.running[job.id] = RunningJob(token: token, run: run)
            return true
        }
        guard admitted else { return .released }
        let handler = self.handler
        let work = Task {
            do { run.end(.returned(.success(try await handler(context)))) } catch { run.end(.returned(.failure(error))) }
        }
        let timeout = job.options.timeout ?? options.jobTimeout
        let timer = timeout.map { timeout in
            Task {
                do { try await Task.sleep(for: timeout) } catch { return }
                run.end(.timedOut(timeout))
            }
        }
        let ending = await withTaskCancellationHandler {
            await run.ending()
        } onCancel: {
            run.end(.released)
        }
        timer?.cancel()
        state.withLock { _ = $0.running.removeValue(forKey: job.id) }
        if case .returned = ending {} else { work.cancel() }
        return ending
    }

    /// At the end of the grace period: every running handler's wait ends as released.
    private func releaseRunning() -> [String] {
        let runs = state.withLock { state -> [(String, HandlerRun)] in
            state.releasing = true
            return state.running.map { ($0.key, $0.value.run) }
        }
        for (_, run) in runs { run.end(.released) }
        return runs.map(\.0).sorted()
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

    /// Renews the locks of running jobs every `lockRenewInterval` until the processor has stopped
    /// and nothing runs. It does not wake on a stop request: it has nothing to do sooner.
    private func lockRenewalLoop() async {
        while !Task.isCancelled {
            if state.withLock({ $0.stopping && $0.running.isEmpty }) { return }
            do { try await Task.sleep(for: options.lockRenewInterval) } catch { return }
            let running = state.withLock { state in state.running.map { (id: $0.key, token: $0.value.token) } }
            if running.isEmpty { continue }
            state.withLock { $0.lockRenewalCalls += 1 }
            do {
                let lost = try await queue.extendLocks(running, duration: options.lockDuration)
                // A job that finished while the call was on its way is not a lost lock.
                let stillRunning = state.withLock { state in lost.filter { state.running[$0] != nil } }
                if !stillRunning.isEmpty {
                    logger.warning("lost the lock of running jobs; they may be run again elsewhere", metadata: ["jobs": "\(stillRunning)"])
                }
            } catch {
                logger.warning("renewing job locks failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Every `cancelCheckInterval`, asks whether a running job was cancelled, and ends the wait
    /// for those (their handlers are cancelled and the jobs fail as cancelled).
    private func cancellationLoop() async {
        while !Task.isCancelled {
            if state.withLock({ $0.stopping && $0.running.isEmpty }) { return }
            do { try await Task.sleep(for: options.cancelCheckInterval) } catch { return }
            let running = state.withLock { state in Array(state.running.keys) }
            if running.isEmpty { continue }
            do {
                let cancelled = try await queue.cancelRequested(among: running)
                let runs = state.withLock { state in cancelled.compactMap { state.running[$0]?.run } }
                for run in runs { run.end(.cancelled) }
            } catch {
                logger.debug("checking for cancelled jobs failed", metadata: ["error": "\(error)"])
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
    /// Running jobs by id.
    var running: [String: RunningJob] = [:]
    /// Set when the grace period is over: running jobs are being released, none may start.
    var releasing = false
    /// Renewal calls made (for tests: shutdown must not spin).
    var lockRenewalCalls = 0

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

/// A job whose handler is running: its lock token and the handler's run.
struct RunningJob {
    let token: String
    let run: HandlerRun
}

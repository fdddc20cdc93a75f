import Domain
import Foundation
import Hummingbird
import Logging
import Queue
import Store
import Synchronization

/// The enqueue path of intervention notifications: concurrent enqueues (of any tenants) are
/// recorded in the outbox by one statement and added to Redis by one script call.
///
/// Each enqueue waits until its own row is committed (and its Redis add tried), exactly as when
/// it was written alone; only the round trips, commits and function calls are shared. The
/// statement inserts each tenant's rows under that tenant's row-level security, so a row is
/// written only when the intervention it names exists for its own tenant. When no other enqueue
/// runs, one runs alone at once, so an idle API adds no delay. Which enqueues go together is
/// decided by ``EnqueueBatches`` (one lane per queue); a batch runs in the task of its first
/// enqueue (no background task), shielded from that request's cancellation because the others
/// wait on it.
final class NotificationIntake: Sendable {
    enum Outcome: Sendable, Equatable {
        case accepted
        case interventionNotFound
    }

    struct Limits: Sendable {
        /// Batches written at once.
        var inFlight = 2
        /// Notifications per statement.
        var batchSize = 64
        /// Enqueues that may wait for a batch; beyond, 503.
        var waiting = 4_096
    }

    private struct Waiter: Sendable {
        let promised: PromisedJob
        let interventionID: UUID
        let continuation: CheckedContinuation<Turn, Never>
    }

    private enum Turn: Sendable {
        case answer(Result<Outcome, any Error>)
        /// Run this batch: the waiter resumed with it is its first member.
        case lead([Waiter])
    }

    private let batches: Mutex<EnqueueBatches<String, Waiter>>
    private let database: Database
    private let logger: Logger
    private let written = Atomic<Int>(0)

    init(database: Database, limits: Limits = .init(), logger: Logger) {
        self.database = database
        self.logger = logger
        self.batches = Mutex(
            EnqueueBatches(
                maxInFlight: limits.inFlight, maxBatch: limits.batchSize, maxWaiting: limits.waiting))
    }

    /// Records `promised` (a notification about `interventionID`) and adds it to Redis; returns
    /// when the row is committed, or throws when it could not be.
    func enqueue(_ promised: PromisedJob, interventionID: UUID) async throws -> Outcome {
        let lane = promised.outbox.queue
        let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
            let waiter = Waiter(promised: promised, interventionID: interventionID, continuation: continuation)
            switch batches.withLock({ $0.submit(waiter, key: lane) }) {
            case .run(let batch):
                continuation.resume(returning: .lead(batch))
            case .wait:
                break
            case .refuse:
                continuation.resume(
                    returning: .answer(
                        .failure(
                            HTTPError(
                                .serviceUnavailable, headers: [.retryAfter: "1"],
                                message: "too many notifications are waiting to be recorded; retry shortly"))))
            }
        }
        switch turn {
        case .answer(let result):
            return try result.get()
        case .lead(let batch):
            let outcomes = await Task { await self.write(batch) }.value
            for (waiter, outcome) in zip(batch, outcomes).dropFirst() {
                waiter.continuation.resume(returning: .answer(outcome))
            }
            if let next = batches.withLock({ $0.finished(key: lane) }) {
                next[0].continuation.resume(returning: .lead(next))
            }
            return try outcomes[0].get()
        }
    }

    /// One statement for the batch's rows, then one Redis call for the jobs it recorded. When the
    /// database refuses a batch (a constraint, a bad value), each of its rows is tried alone, so
    /// one bad row fails only its own enqueue; when it is unavailable, the whole batch fails. A
    /// Redis failure is logged, not answered: the rows are committed and the outbox relay adds them.
    private func write(_ batch: [Waiter]) async -> [Result<Outcome, any Error>] {
        written.add(1, ordering: .relaxed)
        let recorded: Set<String>
        do {
            recorded = try await database.enqueueNotifications(
                batch.map {
                    NotificationPromise(job: $0.promised.outbox, interventionID: $0.interventionID)
                })
        } catch {
            guard batch.count > 1, !error.isRetryable else { return batch.map { _ in .failure(error) } }
            var outcomes: [Result<Outcome, any Error>] = []
            for waiter in batch { outcomes += await write([waiter]) }
            return outcomes
        }
        let accepted = batch.filter { recorded.contains($0.promised.outbox.jobID) }
        await PromisedJob.deliver(accepted.map(\.promised), logger: logger)
        return batch.map { recorded.contains($0.promised.outbox.jobID) ? .success(.accepted) : .success(.interventionNotFound) }
    }

    /// Statements written so far (a batch tried row by row counts each try), for tests.
    var statementsWritten: Int { written.load(ordering: .relaxed) }

    /// Batches of `queue` running, and enqueues waiting for one, for tests.
    func load(of queue: String = QueueName.notifications) -> (running: Int, waiting: Int) {
        batches.withLock { $0.load(of: queue) }
    }
}

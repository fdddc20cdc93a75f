/// The BullMQ events a job's Server-Sent Event stream relays, by the names BullMQ writes to the
/// queue's `events` stream (and the SSE `event:` lines carry).
enum JobEventName: String, CaseIterable, Sendable {
    case active, progress, delayed, waiting, completed, failed, removed

    /// After these the job's stream ends: the job will not change again.
    var isTerminal: Bool { self == .completed || self == .failed || self == .removed }
}

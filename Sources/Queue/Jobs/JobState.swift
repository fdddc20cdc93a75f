/// Where a job is in its life, as BullMQ reports it.
public enum JobState: String, Sendable, CaseIterable, Codable {
    case waiting
    case prioritized
    case delayed
    case active
    case completed
    case failed
    case waitingChildren = "waiting-children"
    case unknown
}

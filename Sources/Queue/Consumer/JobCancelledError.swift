/// Why a cancelled job failed: its reason is `cancelled`, and it is never retried.
public struct JobCancelledError: Error, CustomStringConvertible, Sendable {
    public init() {}
    public var description: String { "cancelled" }
}

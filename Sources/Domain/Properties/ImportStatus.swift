/// Where a property import is (`immo_app.property_imports.status`, migration 0003).
public enum ImportStatus: String, CaseIterable, Codable, Sendable {
    case queued, running, completed, failed

    /// Queued or running: a worker still has it to do.
    public var isPending: Bool { self == .queued || self == .running }
}

/// What happened to an intervention, and what a notification tells the tenant's endpoints.
public enum InterventionEvent: String, Sendable, Codable, CaseIterable {
    case scheduled
    case rescheduled
    case enRoute = "en_route"
    case completed
    case cancelled

    /// A one-line human message for the event.
    public func message(reference: String, title: String, technician: String?) -> String {
        switch self {
        case .scheduled: return "Intervention \(reference) (\(title)) is scheduled."
        case .rescheduled: return "Intervention \(reference) (\(title)) was rescheduled."
        case .enRoute: return "\(technician ?? "The technician") is on the way for intervention \(reference) (\(title))."
        case .completed: return "Intervention \(reference) (\(title)) is completed."
        case .cancelled: return "Intervention \(reference) (\(title)) was cancelled."
        }
    }
}

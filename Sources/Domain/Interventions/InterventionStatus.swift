/// Where an intervention is (`inter_app.interventions.status`, migration 0002).
public enum InterventionStatus: String, CaseIterable, Codable, Sendable {
    case draft, scheduled, completed, cancelled
    case enRoute = "en_route"
    case inProgress = "in_progress"
}

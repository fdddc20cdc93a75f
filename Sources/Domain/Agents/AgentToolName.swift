/// The built-in tools an agent may enable, by the names the model sees.
public enum AgentToolName: String, CaseIterable, Codable, Sendable {
    case searchProperties = "search_properties"
    case getIntervention = "get_intervention"
    case listInterventions = "list_interventions"
    case notifyIntervention = "notify_intervention"

    /// Every tool's name, as agents store them.
    public static var all: [String] { allCases.map(\.rawValue) }
}

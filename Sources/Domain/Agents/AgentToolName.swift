/// The built-in tools an agent may enable, by the names the model sees.
public enum AgentToolName {
    public static let searchProperties = "search_properties"
    public static let getIntervention = "get_intervention"
    public static let listInterventions = "list_interventions"
    public static let notifyIntervention = "notify_intervention"
    public static let all = [searchProperties, getIntervention, listInterventions, notifyIntervention]

    /// Model providers an agent may use.
    public static let providers = ["openai", "scripted"]
}

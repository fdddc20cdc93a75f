public import AgentRuntime
public import AsyncHTTPClient
import Foundation
import Queue
public import Store

/// Builds the model provider an agent names.
///
/// `openai`: an OpenAI-compatible Chat Completions server (OpenAI, vLLM, Ollama, llama.cpp) at
/// `baseURL` with `apiKey`, retried with backoff on 429/5xx/timeouts. `scripted`: the JSON script
/// `<scriptsDirectory>/<model>.json`, for tests and for trying the platform offline.
public struct AgentProviders: Sendable {
    public var http: HTTPClient
    public var baseURL: String?
    public var apiKey: String?
    public var scriptsDirectory: String?

    public init(http: HTTPClient, baseURL: String?, apiKey: String?, scriptsDirectory: String?) {
        self.http = http
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.scriptsDirectory = scriptsDirectory
    }

    /// The agent's provider; an error naming the missing setting when it cannot be built.
    public func provider(for agent: AgentRecord) throws -> any ModelProvider {
        switch agent.provider {
        case "openai":
            guard let baseURL else {
                throw UnrecoverableJobError("agent \(agent.id) uses the openai provider but the worker has no OPENAI_BASE_URL")
            }
            return RetryingModelProvider(OpenAICompatibleProvider(baseURL: baseURL, apiKey: apiKey, http: http))
        case "scripted":
            guard let scriptsDirectory else {
                throw UnrecoverableJobError("agent \(agent.id) uses the scripted provider but the worker has no AGENT_SCRIPTS_DIR")
            }
            let name = agent.model
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                throw UnrecoverableJobError("scripted model '\(name)' must be a script name (letters, digits, - and _)")
            }
            let path = scriptsDirectory + "/" + name + ".json"
            guard let data = FileManager.default.contents(atPath: path) else {
                throw UnrecoverableJobError("no model script at \(path)")
            }
            do {
                return try ScriptedModelProvider(json: String(decoding: data, as: UTF8.self))
            } catch {
                throw UnrecoverableJobError(error.description)
            }
        default:
            throw UnrecoverableJobError("agent \(agent.id) names an unknown provider '\(agent.provider)'")
        }
    }
}

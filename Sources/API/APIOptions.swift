public import Store

/// Request-handling policies of the API, from the environment in `obotcall api`.
public struct APIOptions: Sendable {
    /// Requests per user per `rateLimitWindow`; 0 turns the limiter off.
    public var rateLimit: Int
    public var rateLimitWindow: Duration
    /// Origins allowed to call the API from a browser (`https://app.example.com`); `*` for any.
    public var corsOrigins: [String]
    /// Largest property-import source, in bytes. (JSON bodies are limited to 1 MiB.)
    public var maxImportBody: Int
    /// Most data rows an import may hold.
    public var maxImportRows: Int
    /// Models agents may use (`AGENT_MODELS`); `nil` allows any.
    public var agentModels: Set<String>?
    /// Token budgets of tenants without their own.
    public var tokenBudgets: TokenBudgetDefaults
    /// Event streams (SSE) one user may hold open at once, and one API process in all.
    public var eventStreamsPerUser: Int
    public var eventStreamsPerInstance: Int
    /// How long an event stream lasts before the client must reconnect (with `Last-Event-ID`).
    public var eventStreamMaxDuration: Duration
    /// Silence after which an event stream gets a keep-alive comment.
    public var eventStreamHeartbeat: Duration

    public init(
        rateLimit: Int = 100, rateLimitWindow: Duration = .seconds(60), corsOrigins: [String] = [],
        maxImportBody: Int = 10 << 20, maxImportRows: Int = 100_000, agentModels: Set<String>? = nil,
        tokenBudgets: TokenBudgetDefaults = .init(), eventStreamsPerUser: Int = 5, eventStreamsPerInstance: Int = 1_000,
        eventStreamMaxDuration: Duration = .seconds(300), eventStreamHeartbeat: Duration = .seconds(15)
    ) {
        self.rateLimit = rateLimit
        self.rateLimitWindow = rateLimitWindow
        self.corsOrigins = corsOrigins
        self.maxImportBody = maxImportBody
        self.maxImportRows = maxImportRows
        self.agentModels = agentModels
        self.tokenBudgets = tokenBudgets
        self.eventStreamsPerUser = eventStreamsPerUser
        self.eventStreamsPerInstance = eventStreamsPerInstance
        self.eventStreamMaxDuration = eventStreamMaxDuration
        self.eventStreamHeartbeat = eventStreamHeartbeat
    }
}

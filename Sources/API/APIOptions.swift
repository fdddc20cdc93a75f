/// Request-handling policies of the API, from the environment in `obotcall api`.
public struct APIOptions: Sendable {
    /// Requests per user per `rateLimitWindow`; 0 turns the limiter off.
    public var rateLimit: Int
    public var rateLimitWindow: Duration
    /// Origins allowed to call the API from a browser (`https://app.example.com`); `*` for any.
    public var corsOrigins: [String]
    /// Largest property-import source, in bytes. (JSON bodies are limited to 1 MiB.)
    public var maxImportBody: Int

    public init(
        rateLimit: Int = 100, rateLimitWindow: Duration = .seconds(60), corsOrigins: [String] = [],
        maxImportBody: Int = 10 << 20
    ) {
        self.rateLimit = rateLimit
        self.rateLimitWindow = rateLimitWindow
        self.corsOrigins = corsOrigins
        self.maxImportBody = maxImportBody
    }
}

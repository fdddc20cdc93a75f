/// Where the HTTP servers listen: the public API, and the operations listener (`/metrics`,
/// detailed `/ready`) that stays inside the deployment.
public struct APIConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var operationsHost: String
    public var operationsPort: Int

    public init(host: String = "127.0.0.1", port: Int = 8080, operationsHost: String = "127.0.0.1", operationsPort: Int = 9465) {
        self.host = host
        self.port = port
        self.operationsHost = operationsHost
        self.operationsPort = operationsPort
    }
}

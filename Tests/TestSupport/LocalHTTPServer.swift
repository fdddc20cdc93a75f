public import Hummingbird
import Logging

/// Starts a test's HTTP server on a free loopback port: the port, once it listens, and the task
/// running it (cancel it to stop the server).
public enum LocalHTTPServer {
    public static func start(_ router: Router<BasicRequestContext>, label: String) async -> (port: Int, task: Task<Void, any Error>) {
        var logger = Logger(label: label)
        logger.logLevel = .critical
        let started = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in started.continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var port = 0
        for await listening in started.stream {
            port = listening
            break
        }
        return (port, task)
    }
}

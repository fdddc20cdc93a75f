import API
import ArgumentParser
import Domain
import Hummingbird
import Queue
import Redis
import ServiceLifecycle
import Store

/// `obotcall api`: the HTTP API.
struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Serve the REST API (never runs jobs)."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var redisOptions: RedisOptions
    @Option(help: "Address to listen on (default: $API_HOST or 127.0.0.1; 0.0.0.0 in containers).") var host: String?
    @Option(help: "Port to listen on (default: $API_PORT or 8080).") var port: Int?

    func run() async throws {
        let logger = LogSetup.logger(label: "obotcall.api")
        let environment = ProcessEnvironment()
        let url = try database.url()
        let port = try self.port ?? environment["API_PORT"].map { text in
            guard let port = Int(text), (1...65535).contains(port) else { throw ValidationError("API_PORT '\(text)' is not a port") }
            return port
        } ?? 8080
        let configuration = APIConfiguration(host: host ?? environment["API_HOST"] ?? "127.0.0.1", port: port)

        let database = Database(url: url, logger: logger)
        let redis = RedisClient(configuration: try redisOptions.configuration(clientName: "obotcall-api"), logger: logger)
        let readiness = [
            ReadinessCheck(name: "postgres") { try await database.ping() },
            ReadinessCheck(name: "redis") { try await redis.execute(.ping()) },
        ]
        // Clients first: the service group stops services in reverse order, so the HTTP server
        // drains before the clients it uses close.
        let secret = try ProcessEnvironment().require("JWT_SECRET", hint: "the HS256 secret access tokens are signed with (Supabase's JWT secret)")
        let verifier: TokenVerifier
        do { verifier = try await TokenVerifier(secret: secret) } catch { throw ValidationError(error.description) }
        let queuePrefix = environment["QUEUE_PREFIX"] ?? "bull"
        let queues = try QueueName.all.map { try Queue(name: $0, redis: redis, options: .init(prefix: queuePrefix), logger: logger) }
        let dependencies = APIDependencies(database: database, verifier: verifier, queues: queues, readiness: readiness)
        let app = try APIApplication.make(
            configuration: configuration, dependencies: dependencies, services: [database, redis], logger: logger)
        try await app.runService()
    }
}

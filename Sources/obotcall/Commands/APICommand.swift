import API
import ArgumentParser
import Foundation
import Jobs
import Metrics
import Prometheus
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
    @Option(
        help:
            "Requests per user per minute, shared by every API instance through Redis; 0 turns the limit off (default: $RATE_LIMIT_PER_MINUTE or 100)."
    )
    var rateLimit: Int?
    @Option(help: "Comma-separated origins allowed to call the API from a browser, or * (default: $CORS_ORIGINS; none).")
    var corsOrigins: String?
    @Option(help: "A JWKS document (JSON file) whose ES256/RS256 keys also sign accepted tokens (default: $JWT_JWKS_FILE; none).")
    var jwksFile: String?
    @Option(
        help:
            "A JWKS URL fetched at start, every 10 minutes and on an unknown key id, e.g. https://<project>.supabase.co/auth/v1/.well-known/jwks.json (default: $JWT_JWKS_URL; none)."
    )
    var jwksURL: String?
    @Option(help: "The issuer (iss) accepted tokens must name, e.g. https://<project>.supabase.co/auth/v1 (default: $JWT_ISSUER; not checked).")
    var jwtIssuer: String?
    @Option(help: "Largest property-import upload in bytes (default: $MAX_IMPORT_BYTES or 10485760).")
    var maxImportBytes: Int?
    @Option(help: "Port of the operations listener: /metrics and detailed /ready (default: $API_OPS_PORT or 9465).")
    var opsPort: Int?

    func run() async throws {
        let logger = LogSetup.logger(label: "obotcall.api")
        let environment = ProcessEnvironment()
        let url = try database.url()
        func port(_ option: Int?, _ name: String, default value: Int) throws -> Int {
            if let option {
                guard (1...65535).contains(option) else { throw ValidationError("\(name) \(option) is not a port") }
                return option
            }
            guard let text = environment[name] else { return value }
            guard let port = Int(text), (1...65535).contains(port) else { throw ValidationError("\(name) '\(text)' is not a port") }
            return port
        }
        let host = host ?? environment["API_HOST"] ?? "127.0.0.1"
        let configuration = APIConfiguration(
            host: host, port: try port(self.port, "API_PORT", default: 8080), operationsHost: environment["API_OPS_HOST"] ?? host,
            operationsPort: try port(opsPort, "API_OPS_PORT", default: 9465))
        let options = try Self.options(
            rateLimit: rateLimit, corsOrigins: corsOrigins, maxImportBytes: maxImportBytes, environment: environment)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        let database = Database(url: url, logger: logger)
        let redis = RedisClient(configuration: try redisOptions.configuration(clientName: "obotcall-api"), logger: logger)
        let readiness = [
            ReadinessCheck(name: "postgres") { try await database.ping() },
            .redis(redis),
        ]
        // Clients first: the service group stops services in reverse order, so the HTTP server
        // drains before the clients it uses close.
        let secret = try ProcessEnvironment().require("JWT_SECRET", hint: "the HS256 secret access tokens are signed with (Supabase's JWT secret)")
        let verifier: TokenVerifier
        do {
            verifier = try await TokenVerifier(secret: secret, issuer: jwtIssuer ?? environment["JWT_ISSUER"])
        } catch {
            throw ValidationError(error.description)
        }
        if let path = jwksFile ?? environment["JWT_JWKS_FILE"] {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read the JWKS file \(path)") }
            do {
                try await verifier.setJWKS(String(decoding: data, as: UTF8.self))
            } catch {
                throw ValidationError("the JWKS file \(path) is not a usable JWKS document: \(error)")
            }
        }
        var services: [any Service] = [database, redis, RedisMemoryMonitor(client: redis, logger: logger)]
        if let url = jwksURL ?? environment["JWT_JWKS_URL"] {
            guard let parsed = URL(string: url), ["https", "http"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw ValidationError("JWT_JWKS_URL '\(url)' must be an http(s) URL")
            }
            services.append(JWKSRefresher(url: url, verifier: verifier, logger: logger))
        }
        let queuePrefix = environment["QUEUE_PREFIX"] ?? "bull"
        let queues = try QueueName.all.map { try Queue(name: $0, redis: redis, options: .platform(prefix: queuePrefix), logger: logger) }
        // Makes sure Redis has every job a 202 promised (several API processes share the work).
        var relayOptions = OutboxRelay.Options()
        if let text = environment["OUTBOX_RECHECK_SECONDS"] {
            guard let seconds = Int(text), (1...86_400).contains(seconds) else {
                throw ValidationError("OUTBOX_RECHECK_SECONDS '\(text)' must be a whole number between 1 and 86400")
            }
            relayOptions.recheckEvery = .seconds(seconds)
        }
        services.append(OutboxRelay(database: database, queues: queues, options: relayOptions, logger: logger))
        // Puts back the schedulers of tenant schedules that Redis lost.
        services.append(ScheduleReconciler(database: database, queues: queues, logger: logger))
        // Puts back the tenants' limits and pauses Redis lost.
        services.append(TenantLimitsReconciler(database: database, queues: queues, logger: logger))
        let dependencies = APIDependencies(
            database: database, verifier: verifier, queues: queues, readiness: readiness, redis: redis, metrics: registry,
            options: options, logger: logger)
        let group = try APIApplication.make(
            configuration: configuration, dependencies: dependencies, services: services, logger: logger)
        try await group.run()
    }

    /// Options first, then the environment, then defaults; every value checked.
    static func options(rateLimit: Int?, corsOrigins: String?, maxImportBytes: Int?, environment: ProcessEnvironment) throws -> APIOptions {
        func integer(_ option: Int?, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
            if let option {
                guard range.contains(option) else { throw ValidationError("\(name) must be between \(range.lowerBound) and \(range.upperBound)") }
                return option
            }
            guard let text = environment[name] else { return value }
            guard let parsed = Int(text), range.contains(parsed) else {
                throw ValidationError("\(name) '\(text)' must be a whole number between \(range.lowerBound) and \(range.upperBound)")
            }
            return parsed
        }
        var options = APIOptions()
        options.rateLimit = try integer(rateLimit, "RATE_LIMIT_PER_MINUTE", default: 100, range: 0...1_000_000)
        options.maxImportBody = try integer(maxImportBytes, "MAX_IMPORT_BYTES", default: 10 << 20, range: 1...(100 << 20))
        let origins = (corsOrigins ?? environment["CORS_ORIGINS"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for origin in origins where origin != "*" {
            guard let url = URL(string: origin), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil,
                url.path.isEmpty || url.path == "/"
            else { throw ValidationError("CORS origin '\(origin)' must look like https://app.example.com (scheme and host, no path)") }
        }
        options.corsOrigins = origins
        options.eventStreamsPerUser = try integer(nil, "SSE_STREAMS_PER_USER", default: 5, range: 1...1_000)
        options.eventStreamsPerInstance = try integer(nil, "SSE_STREAMS_PER_INSTANCE", default: 1_000, range: 1...100_000)
        options.eventStreamMaxDuration = .seconds(try integer(nil, "SSE_MAX_STREAM_SECONDS", default: 300, range: 1...86_400))
        options.agentModels = environment.agentModels
        options.tokenBudgets = try environment.tokenBudgets()
        return options
    }
}

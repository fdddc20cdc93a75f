import Foundation
import Store
import Testing
import TestSupport
import Yams

/// compose.yml cannot be run here (no Docker engine), so its shape is checked instead.
struct ComposeFileTests {
    static func load() throws -> [String: Any] {
        let text = try String(contentsOfFile: TestEnvironment.repositoryRoot + "/compose.yml", encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any])
    }

    static func services() throws -> [String: [String: Any]] {
        try #require(try load()["services"] as? [String: [String: Any]])
    }

    /// Services that run the obotcall image.
    static func obotcallServices() throws -> [String: [String: Any]] {
        try services().filter { _, service in service["build"] != nil || (service["image"] as? String)?.contains("obotcall") == true }
    }

    @Test func hasTheServicesOfTheArchitecture() throws {
        let services = try Self.services()
        for name in ["traefik", "redis", "postgres", "migrate", "api", "worker"] {
            #expect(services[name] != nil, "compose.yml has no \(name) service")
        }
        #expect(Set(try Self.obotcallServices().keys).isSuperset(of: ["migrate", "api", "worker"]))
    }

    /// Every database URL a service is given is one `DatabaseURL` accepts (pool settings included).
    @Test func databaseURLsParse() throws {
        var seen = 0
        for (name, service) in try Self.obotcallServices() {
            let environment = service["environment"] as? [String: Any] ?? [:]
            for key in ["DATABASE_URL", "MIGRATION_DATABASE_URL"] {
                guard let text = environment[key] as? String else { continue }
                let filled = text.replacingOccurrences(of: #"\$\{[^}]*\}"#, with: "secret", options: .regularExpression)
                #expect(throws: Never.self, "\(name) \(key)") { _ = try DatabaseURL(filled) }
                seen += 1
            }
        }
        #expect(seen >= 3)
        let api = try #require(try Self.services()["api"]?["environment"] as? [String: Any])
        let url = try DatabaseURL(
            try #require(api["DATABASE_URL"] as? String)
                .replacingOccurrences(of: #"\$\{[^}]*\}"#, with: "secret", options: .regularExpression))
        #expect(url.minimumConnections == url.maximumConnections)
        #expect(url.keepAliveSeconds == nil)
    }

    @Test func everyCommandNamesARealObotcallSubcommandAndOption() async throws {
        for (name, service) in try Self.obotcallServices() {
            let command = try #require(service["command"] as? [String], "\(name) has no command list")
            let subcommand = try #require(command.first)
            let help = try await ChildProcess.run([subcommand, "--help"])
            #expect(help.status == 0, "service \(name): `obotcall \(subcommand)` is not a subcommand: \(help.errors)")
            for option in command.dropFirst() where option.hasPrefix("--") {
                #expect(help.output.contains(option), "service \(name): `obotcall \(subcommand)` has no option \(option)")
            }
        }
    }

    @Test func redisKeepsDataAndNeverEvicts() throws {
        let redis = try #require(try Self.services()["redis"])
        let command = (redis["command"] as? [String] ?? []).joined(separator: " ")
        #expect(command.contains("--appendonly yes"))
        #expect(command.contains("--maxmemory-policy noeviction"))
        // A ceiling, so a runaway producer meets an error instead of the host's OOM killer.
        #expect(command.contains("--maxmemory ${REDIS_MAXMEMORY:-1gb}"))
    }

    @Test func servicesHaveHealthChecksAndStartInOrder() throws {
        let services = try Self.services()
        for name in ["redis", "postgres", "api", "worker", "traefik"] {
            #expect(services[name]?["healthcheck"] != nil, "\(name) has no health check")
        }
        for name in ["api", "worker"] {
            let dependencies = try #require(services[name]?["depends_on"] as? [String: [String: Any]], "\(name) has no depends_on")
            #expect(dependencies["migrate"]?["condition"] as? String == "service_completed_successfully")
            #expect(dependencies["redis"]?["condition"] as? String == "service_healthy")
            #expect(dependencies["postgres"]?["condition"] as? String == "service_healthy")
        }
        #expect(services["migrate"]?["restart"] as? String == "no")
    }

    @Test func workersScaleAndTheApiSitsBehindTraefik() throws {
        let services = try Self.services()
        let worker = try #require(services["worker"])
        // Published ports would clash between replicas of `--scale worker=N`.
        #expect(worker["ports"] == nil)
        #expect(worker["container_name"] == nil)
        let api = try #require(services["api"])
        #expect(api["ports"] == nil, "the api is reached through Traefik")
        let labels = api["labels"] as? [String] ?? []
        #expect(labels.contains("traefik.enable=true"))
        #expect(labels.contains { $0.hasPrefix("traefik.http.routers.api.rule=") })
        let profiles = services.values.compactMap { $0["profiles"] as? [String] }.flatMap { $0 }
        #expect(Set(profiles).isSuperset(of: ["split-workers", "monitoring"]))
    }

    /// Only Traefik publishes ports: HTTP redirects to HTTPS, certificates come from Let's
    /// Encrypt, the dashboard is off; operations endpoints and Prometheus stay inside.
    @Test func onlyHTTPSIsPublic() throws {
        let services = try Self.services()
        for (name, service) in services where name != "traefik" {
            #expect(service["ports"] == nil, "\(name) publishes ports")
        }
        let traefik = try #require(services["traefik"])
        let command = try #require(traefik["command"] as? [String])
        #expect(command.contains("--entrypoints.websecure.address=:443"))
        #expect(command.contains("--entrypoints.web.http.redirections.entrypoint.to=websecure"))
        #expect(command.contains("--entrypoints.web.http.redirections.entrypoint.scheme=https"))
        #expect(command.contains { $0.hasPrefix("--certificatesresolvers.letsencrypt.acme.") })
        #expect(command.contains("--api.dashboard=false"))
        #expect(!command.contains { $0.hasPrefix("--api.insecure") })
        #expect(Set(traefik["ports"] as? [String] ?? []) == ["80:80", "443:443"])
        let labels = try #require(services["api"]?["labels"] as? [String])
        #expect(labels.contains("traefik.http.routers.api.entrypoints=websecure"))
        #expect(labels.contains("traefik.http.routers.api.tls.certresolver=letsencrypt"))
        #expect(!labels.contains { $0.contains("9465") }, "the operations listener must not be routed")
        let environment = try #require(services["api"]?["environment"] as? [String: Any])
        #expect(environment["API_OPS_PORT"] as? String == "9465")
        let scrape = try String(contentsOfFile: TestEnvironment.repositoryRoot + "/deploy/prometheus.yml", encoding: .utf8)
        #expect(scrape.contains("api:9465"))
    }
}

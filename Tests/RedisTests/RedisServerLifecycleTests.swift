import Foundation
import NIOCore
import Testing
import TestSupport
@testable import Redis

/// Behaviours that need a redis-server of the test's own: passwords, TLS, no HELLO, restarts.
struct RedisServerLifecycleTests {
    @Test func requirepassAuthentication() async throws {
        let server = try await RedisServerProcess.start(configuration: ["requirepass s3cret-pass"])
        defer { server.stop() }
        try await RedisTesting.withClient(url: "redis://:s3cret-pass@127.0.0.1:\(server.port)") { (client: RedisClient) async throws in
            #expect(try await client.execute(.ping(), as: String.self) == "PONG")
        }
        try await RedisTesting.withClient(
            url: "redis://:wrong@127.0.0.1:\(server.port)", configure: { $0.pool.reconnectBackoff = (.milliseconds(1), .milliseconds(5)) }
        ) { (client: RedisClient) async throws in
            let error = await #expect(throws: RedisClientError.self) { try await client.execute(.ping()) }
            #expect(error?.code == .handshakeFailed)
            #expect(error?.message.contains("WRONGPASS") == true)
        }
    }

    @Test func aclUserAuthentication() async throws {
        let server = try await RedisServerProcess.start(configuration: ["user worker on >worker-pass ~* +@all"])
        defer { server.stop() }
        try await RedisTesting.withClient(url: "redis://worker:worker-pass@127.0.0.1:\(server.port)") { (client: RedisClient) async throws in
            #expect(try await client.execute(RedisCommand("ACL", ["WHOAMI"]), as: String.self) == "worker")
        }
    }

    @Test func fallsBackToRESP2WhenTheServerHasNoHello() async throws {
        let server = try await RedisServerProcess.start(configuration: ["rename-command HELLO \"\"", "requirepass pw"])
        defer { server.stop() }
        try await RedisTesting.withClient(url: "redis://:pw@127.0.0.1:\(server.port)?name=resp2-client") { (client: RedisClient) async throws in
            try await client.withConnection { (connection: RedisConnection) async throws in
                #expect(connection.protocolVersion == .resp2)
                #expect(try await connection.execute(RedisCommand("CLIENT", ["GETNAME"]), as: String.self) == "resp2-client")
            }
            try await client.execute(RedisCommand("HSET", ["h", "a", "1", "b", "2"], keyArguments: 0..<1))
            // RESP2 has no maps: HGETALL's flat array still decodes to a dictionary.
            #expect(try await client.execute(RedisCommand("HGETALL", ["h"], keyArguments: 0..<1), as: [String: String].self) == ["a": "1", "b": "2"])
        }
    }

    @Test func unixSocketConnection() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        try await RedisTesting.withClient(url: "unix://\(server.directory)/redis.sock?db=1") { (client: RedisClient) async throws in
            try await client.execute(.set("k", "v"))
            #expect(try await client.execute(.get("k"), as: String.self) == "v")
        }
    }

    @Test func tlsConnection() async throws {
        let directory = try TestEnvironment.scratchDirectory("tls")
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem",
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0, "openssl could not make a test certificate")
        let port = try await Self.freePort()
        let server = try await RedisServerProcess.start(
            configuration: [
                "port 0", "tls-port \(port)", "tls-cert-file \(directory)/cert.pem", "tls-key-file \(directory)/key.pem",
                "tls-ca-cert-file \(directory)/cert.pem", "tls-auth-clients no",
            ], port: port)
        defer { server.stop() }
        try await RedisTesting.withClient(url: "rediss://localhost:\(port)?ca=\(directory)/cert.pem") { (client: RedisClient) async throws in
            try await client.execute(.set("secure", "yes"))
            #expect(try await client.execute(.get("secure"), as: String.self) == "yes")
        }
        // A client that does not trust the certificate is refused.
        _ = try await RedisTesting.withClient(
            url: "rediss://localhost:\(port)", configure: { $0.pool.reconnectBackoff = (.milliseconds(1), .milliseconds(5)) }
        ) { (client: RedisClient) async throws in
            await #expect(throws: (any Error).self) { try await client.execute(.ping()) }
        }
    }

    @Test func clientRecoversWhenTheServerRestarts() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        try await RedisTesting.withClient(
            url: server.url,
            configure: {
                $0.pool.reconnectBackoff = (.milliseconds(20), .milliseconds(200))
            }
        ) { (client: RedisClient) async throws in
            try await client.execute(.set("before", "1"))
            // Blocked and in-flight commands fail with a connection error when the server dies.
            let blocked = Task { try await client.execute(.bzpopmin(["nothing"], timeout: .seconds(30))) }
            #expect(
                try await RedisTesting.eventually {
                    let info = try await client.execute(RedisCommand("INFO", ["clients"]), as: String.self)
                    return info.contains("blocked_clients:1")
                })
            server.kill()
            let error = await #expect(throws: RedisClientError.self) { try await blocked.value }
            #expect(error?.code == .connectionClosed)
            // While the server is down, commands fail with a clear error rather than hanging.
            await #expect(throws: RedisClientError.self) { try await client.execute(.ping()) }

            try await server.launch()
            #expect(
                try await RedisTesting.eventually {
                    try await client.execute(.ping(), as: String.self) == "PONG"
                })
            try await client.execute(.set("after", "2"))
            #expect(try await client.execute(.get("after"), as: String.self) == "2")
            // Leased connections recover too.
            #expect(try await client.execute(.bzpopmin(["nothing"], timeout: .milliseconds(10))).value == .null)
        }
    }

    @Test func unreachableServerIsAConnectError() async throws {
        let port = try await Self.freePort()
        try await RedisTesting.withClient(
            url: "redis://127.0.0.1:\(port)",
            configure: {
                $0.connectTimeout = .seconds(1)
                $0.pool.reconnectBackoff = (.milliseconds(1), .milliseconds(5))
            }
        ) { (client: RedisClient) async throws in
            let error = await #expect(throws: RedisClientError.self) { try await client.execute(.ping()) }
            #expect(error?.code == .connectFailed)
            #expect(error?.message.contains("127.0.0.1:\(port)") == true)
        }
    }

    static func freePort() async throws -> Int {
        let server = try await RedisServerProcess.start()
        let port = server.port
        server.stop()
        return port
    }
}

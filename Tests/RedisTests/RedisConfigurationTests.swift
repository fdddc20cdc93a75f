import Testing
@testable import Redis

struct RedisConfigurationTests {
    @Test func readsTheURLForms() throws {
        let plain = try RedisConfiguration(url: "redis://127.0.0.1:6390")
        #expect(plain.address == .tcp(host: "127.0.0.1", port: 6390))
        #expect(plain.database == 0 && plain.password == nil && plain.tls == nil)

        let full = try RedisConfiguration(url: "redis://user:p%40ss@cache.internal/3?name=api&protocol=2")
        #expect(full.address == .tcp(host: "cache.internal", port: 6379))
        #expect(full.username == "user" && full.password == "p@ss" && full.database == 3)
        #expect(full.clientName == "api" && full.preferredProtocol == .resp2)
        #expect(full.redactedDescription == "redis://user:***@cache.internal:6379/3")

        let requirepass = try RedisConfiguration(url: "redis://:secret@h:1")
        #expect(requirepass.username == nil && requirepass.password == "secret")

        let tls = try RedisConfiguration(url: "rediss://h:6380?verify=none")
        #expect(tls.tls != nil)
        #expect(tls.tls?.certificateVerification == CertificateVerification.none)

        let unix = try RedisConfiguration(url: "unix:///run/redis.sock?db=4&password=x")
        #expect(unix.address == .unixSocket(path: "/run/redis.sock"))
        #expect(unix.database == 4 && unix.password == "x")
    }

    @Test(arguments: ["http://h", "redis://h:99999", "redis://h/abc", "unix://", "redis://h?protocol=5", "rediss://h?ca=/no/such.pem"])
    func refusesUnusableURLs(url: String) {
        let error = #expect(throws: RedisClientError.self) { try RedisConfiguration(url: url) }
        #expect(error?.code == .invalidConfiguration)
    }
}

import NIOSSL

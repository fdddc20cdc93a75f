import Testing
@testable import Worker

/// Which addresses a tenant's webhook may reach, and the check on real URLs (DNS included).
struct WebhookDestinationPolicyTests {
    @Test(
        arguments: [
            ([127, 0, 0, 1], false), ([10, 1, 2, 3], false), ([172, 16, 0, 1], false), ([172, 31, 255, 255], false),
            ([172, 32, 0, 1], true), ([192, 168, 1, 1], false), ([169, 254, 169, 254], false), ([100, 64, 0, 1], false),
            ([100, 128, 0, 1], true), ([0, 0, 0, 0], false), ([224, 0, 0, 1], false), ([255, 255, 255, 255], false),
            ([8, 8, 8, 8], true), ([93, 184, 216, 34], true),
        ] as [([UInt8], Bool)])
    func ipv4(address: [UInt8], isPublic: Bool) {
        #expect(WebhookDestinationPolicy.isPublic(address) == isPublic)
    }

    @Test func ipv6() {
        func v6(_ prefix: [UInt8], _ suffix: [UInt8] = []) -> [UInt8] {
            prefix + Array(repeating: 0, count: 16 - prefix.count - suffix.count) + suffix
        }
        #expect(!WebhookDestinationPolicy.isPublic(v6([], [1])))  // ::1
        #expect(!WebhookDestinationPolicy.isPublic(v6([])))  // ::
        #expect(!WebhookDestinationPolicy.isPublic(v6([0xfe, 0x80], [1])))  // link-local
        #expect(!WebhookDestinationPolicy.isPublic(v6([0xfd, 0x12], [1])))  // unique local
        #expect(!WebhookDestinationPolicy.isPublic(v6([], [0xff, 0xff, 127, 0, 0, 1])))  // ::ffff:127.0.0.1
        #expect(!WebhookDestinationPolicy.isPublic(v6([], [0xff, 0xff, 169, 254, 169, 254])))
        #expect(WebhookDestinationPolicy.isPublic(v6([], [0xff, 0xff, 8, 8, 8, 8])))
        #expect(WebhookDestinationPolicy.isPublic(v6([0x26, 0x06, 0x47, 0x00], [1])))
        #expect(!WebhookDestinationPolicy.isPublic(v6([0xff, 0x02], [1])))  // multicast
    }

    @Test(arguments: [
        "http://127.0.0.1:6379/", "http://localhost/hook", "http://169.254.169.254/latest/meta-data/", "http://[::1]/",
        "http://0.0.0.0:5432/", "http://10.0.0.5/hook", "http://[::ffff:127.0.0.1]/", "http://2130706433/",
    ])
    func privateDestinationsAreRefused(url: String) async {
        await #expect(throws: WebhookDestinationPolicy.Refusal.self) { _ = try await WebhookDestinationPolicy().check(url) }
    }

    @Test func unusableURLsAreRefusedWithoutRepeatingThem() async {
        for url in ["ftp://example.com/x", "not a url", "http:///nohost", "http://no-such-host.invalid/x?token=sekrit"] {
            await #expect {
                _ = try await WebhookDestinationPolicy().check(url)
            } throws: { error in
                !(error as? WebhookDestinationPolicy.Refusal).map { $0.description.contains("sekrit") }!
            }
        }
    }

    /// A name that does not resolve now may resolve later (the delivery retries); a private
    /// address is refused for good.
    @Test func refusalsSayWhetherAnotherAttemptMayWork() async {
        await #expect {
            _ = try await WebhookDestinationPolicy().check("http://no-such-host.invalid/x")
        } throws: { error in (error as? WebhookDestinationPolicy.Refusal)?.isTemporary == true }
        await #expect {
            _ = try await WebhookDestinationPolicy().check("http://127.0.0.1/x")
        } throws: { error in (error as? WebhookDestinationPolicy.Refusal)?.isTemporary == false }
        // IPv6 forms that carry an IPv4 address inside are refused.
        for embedded in ["http://[2002:7f00:1::1]/", "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "http://[::ffff:0:7f00:1]/"] {
            await #expect(throws: WebhookDestinationPolicy.Refusal.self, "\(embedded)") { _ = try await WebhookDestinationPolicy().check(embedded) }
        }
    }

    @Test func operatorsMayAllowPrivateDestinations() async throws {
        let anything = try await WebhookDestinationPolicy(allowPrivate: true).check("http://127.0.0.1:8080/hook")
        #expect(anything == .init(host: "127.0.0.1", address: "127.0.0.1"))
        let named = try await WebhookDestinationPolicy(allowedHosts: ["LocalHost"]).check("http://localhost:9000/hook")
        #expect(named.host == "localhost")
        await #expect(throws: WebhookDestinationPolicy.Refusal.self) {
            _ = try await WebhookDestinationPolicy(allowedHosts: ["localhost"]).check("http://127.0.0.1/hook")
        }
    }
}

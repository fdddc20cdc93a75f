import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing
import TestSupport
@testable import API

/// Request ids, 404/405/413, CORS, rate limits, `/metrics` and `/openapi.json`.
struct RequestHandlingTests {
    static func headers(token: String? = nil, _ fields: [HTTPField.Name: String] = [:]) -> HTTPFields {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        for (name, value) in fields { headers[name] = value }
        return headers
    }

    /// Hummingbird's generated ids: up to 32 lowercase hex digits.
    static func isHexID(_ text: String) -> Bool {
        (1...32).contains(text.count) && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    @Test func everyAnswerCarriesARequestID() async throws {
        try await APIHarness.with { harness in
            try await harness.app().test(.router) { client in
                let generated = try await client.execute(uri: "/health", method: .get) { $0.headers[.requestID] }
                let another = try await client.execute(uri: "/health", method: .get) { $0.headers[.requestID] }
                #expect(generated.map(Self.isHexID) == true)
                #expect(another.map(Self.isHexID) == true)
                #expect(generated != another)
                let echoed = try await client.execute(uri: "/nope", method: .get, headers: Self.headers([.requestID: "req-42.a_b"])) {
                    ($0.status, $0.headers[.requestID])
                }
                #expect(echoed.0 == .notFound)
                #expect(echoed.1 == "req-42.a_b")
                // An id that could forge log lines is replaced.
                let replaced = try await client.execute(uri: "/health", method: .get, headers: Self.headers([.requestID: "a b\"c"])) {
                    $0.headers[.requestID]
                }
                #expect(replaced != "a b\"c")
                #expect(replaced.map(Self.isHexID) == true)
            }
        }
    }

    @Test func wrongMethodIs405WithAllowAndUnknownRouteIs404() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA)
            try await harness.app().test(.router) { client in
                let wrong = try await client.execute(uri: "/api/interventions", method: .put, headers: Self.headers(token: token)) { response in
                    (response.status, response.headers[.allow], String(buffer: response.body))
                }
                #expect(wrong.0 == .methodNotAllowed)
                #expect(wrong.1 == "GET, POST")
                #expect(wrong.2.contains(#""error""#))
                let withID = try await client.execute(uri: "/api/interventions/\(UUID())", method: .post) { ($0.status, $0.headers[.allow]) }
                #expect(withID.0 == .methodNotAllowed)
                #expect(withID.1 == "DELETE, GET, PATCH")
                let unknown = try await client.call(.get, "/api/nothing-here", token: token)
                #expect(unknown.status == .notFound)
                #expect(unknown.body["error"] is String)
                // A handler's own 404 stays a 404.
                #expect(try await client.call(.get, "/api/interventions/\(UUID())", token: token).status == .notFound)
            }
        }
    }

    @Test func bodiesOverTheLimitAre413() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA)
            try await harness.app().test(.router) { client in
                let big = #"{"reference":"BIG","title":"x","description":""# + String(repeating: "a", count: (1 << 20) + 10) + #""}"#
                let answer = try await client.call(.post, "/api/interventions", token: token, json: big)
                #expect(answer.status == .contentTooLarge)
                #expect((answer.body["error"] as? String)?.contains("larger than") == true)
                #expect((try await client.call(.get, "/api/interventions", token: token).body["interventions"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test func corsAllowsOnlyConfiguredOrigins() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA)
            let app = try harness.app(options: APIOptions(corsOrigins: ["https://app.obotcall.test"]))
            try await app.test(.router) { client in
                let preflight = try await client.execute(
                    uri: "/api/interventions", method: .options,
                    headers: Self.headers([.origin: "https://app.obotcall.test", .accessControlRequestMethod: "POST"])
                ) { $0 }
                #expect(preflight.status == .noContent)
                #expect(preflight.headers[.accessControlAllowOrigin] == "https://app.obotcall.test")
                #expect(preflight.headers[.accessControlAllowMethods]?.contains("POST") == true)
                #expect(preflight.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)

                let refused = try await client.execute(
                    uri: "/api/interventions", method: .options,
                    headers: Self.headers([.origin: "https://evil.test", .accessControlRequestMethod: "POST"])
                ) { $0 }
                #expect(refused.status == .forbidden)
                #expect(refused.headers[.accessControlAllowOrigin] == nil)

                let allowed = try await client.execute(
                    uri: "/api/interventions", method: .get, headers: Self.headers(token: token, [.origin: "https://app.obotcall.test"])
                ) { $0 }
                #expect(allowed.status == .ok)
                #expect(allowed.headers[.accessControlAllowOrigin] == "https://app.obotcall.test")
                #expect(allowed.headers[.accessControlExposeHeaders]?.contains("X-Request-Id") == true)
                // Errors are readable by the frontend too.
                let unauthorized = try await client.execute(
                    uri: "/api/interventions", method: .get, headers: Self.headers([.origin: "https://app.obotcall.test"])
                ) { $0 }
                #expect(unauthorized.status == .unauthorized)
                #expect(unauthorized.headers[.accessControlAllowOrigin] == "https://app.obotcall.test")

                let other = try await client.execute(
                    uri: "/api/interventions", method: .get, headers: Self.headers(token: token, [.origin: "https://evil.test"])
                ) { $0 }
                #expect(other.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }

    @Test func rateLimitIsSharedByInstancesOnOneRedis() async throws {
        try await APIHarness.with { harness in
            let user = UUID()
            let token = try await APIHarness.token(tenant: harness.tenantA, user: user)
            let other = try await APIHarness.token(tenant: harness.tenantA)
            // A window of an hour: the fixed window cannot roll over in the middle of the test.
            let options = APIOptions(rateLimit: 5, rateLimitWindow: .seconds(3_600))
            let first = try harness.app(options: options, rateLimited: true)
            let second = try harness.app(options: options, rateLimited: true)
            try await first.test(.router) { one in
                try await second.test(.router) { two in
                    var remaining: [String] = []
                    for index in 0..<5 {
                        let client: any TestClientProtocol = index.isMultiple(of: 2) ? one : two
                        let answer = try await client.execute(uri: "/api/interventions", method: .get, headers: Self.headers(token: token)) { $0 }
                        #expect(answer.status == .ok)
                        #expect(answer.headers[.rateLimitLimit] == "5")
                        remaining.append(answer.headers[.rateLimitRemaining] ?? "")
                    }
                    #expect(remaining == ["4", "3", "2", "1", "0"])
                    let limited = try await two.execute(uri: "/api/interventions", method: .get, headers: Self.headers(token: token)) { $0 }
                    #expect(limited.status == .tooManyRequests)
                    let retryAfter = try #require(limited.headers[.retryAfter].flatMap { Int($0) })
                    #expect((1...3_600).contains(retryAfter))
                    #expect(String(buffer: limited.body).contains("rate limit"))
                    // Another user has a budget of their own.
                    #expect(try await one.call(.get, "/api/interventions", token: other).status == .ok)
                }
            }
        }
    }

    @Test func metricsCountRequestsByRouteTemplate() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA)
            let registry = PrometheusCollectorRegistry()
            try await harness.app(options: APIOptions(), metrics: registry).test(.router) { client in
                _ = try await client.call(.get, "/api/interventions/\(UUID())", token: token)
                // Repeats land on the same series (the middleware keeps it after the first request).
                for _ in 0..<3 { _ = try await client.call(.get, "/api/interventions", token: token) }
                _ = try await client.call(.get, "/api/\(UUID())", token: token)
                let text = try await Application(router: APIApplication.operationsRouter(readiness: [], metrics: registry))
                    .test(.router) { operations in
                        try await operations.execute(uri: "/metrics", method: .get) { response in
                            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                            return String(buffer: response.body)
                        }
                    }
                #expect(text.contains(#"obotcall_http_requests_total{method="GET",route="/api/interventions/{id}",status="404"} 1"#))
                #expect(text.contains(#"obotcall_http_requests_total{method="GET",route="/api/interventions",status="200"} 3"#))
                #expect(text.contains(#"obotcall_http_request_duration_seconds_count{method="GET",route="/api/interventions"} 3"#))
                #expect(text.contains(#"obotcall_http_requests_total{method="GET",route="unmatched",status="404"} 1"#))
                #expect(text.contains("obotcall_http_request_duration_seconds_bucket"))
            }
        }
    }
}

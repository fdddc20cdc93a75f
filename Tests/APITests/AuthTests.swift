import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TestSupport
@testable import API

/// Who gets in: the token matrix of the API.
struct AuthTests {
    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    @Test func tokenMatrix() async throws {
        try await APIHarness.with { harness in
            let tenant = harness.tenantA
            let unsigned = Self.base64URL(#"{"alg":"none","typ":"JWT"}"#) + "."
                + Self.base64URL(#"{"sub":"\#(UUID().uuidString)","aud":"authenticated","exp":\#(Int(Date().timeIntervalSince1970) + 3600),"tenant_id":"\#(tenant)"}"#) + "."
            let cases: [(String, String?, String?)] = [
                ("valid", try await APIHarness.token(tenant: tenant), nil),
                ("missing", nil, "missing Authorization"),
                ("alg none", unsigned, "invalid"),
                ("bad signature", try await APIHarness.token(tenant: tenant, secret: "another-secret-of-sufficient-length-000000"), "signature"),
                ("expired", try await APIHarness.token(tenant: tenant, expiresIn: -60), "expired"),
                ("not yet valid", try await APIHarness.token(tenant: tenant, notBefore: Date().addingTimeInterval(600)), "not valid yet"),
                ("wrong audience", try await APIHarness.token(tenant: tenant, audience: "anon"), "audience"),
                ("no audience", try await APIHarness.token(tenant: tenant, audience: nil), "audience"),
                ("no tenant", try await APIHarness.token(tenant: nil), "no tenant"),
                ("garbage", "not.a.token", "invalid"),
            ]
            try await harness.app().test(.router) { client in
                for (name, token, message) in cases {
                    let (status, body) = try await client.call(.get, "/api/interventions", token: token)
                    if let message {
                        #expect(status == .unauthorized, "\(name)")
                        #expect((body["error"] as? String)?.contains(message) == true, "\(name): \(body)")
                    } else {
                        #expect(status == .ok, "\(name): \(body)")
                    }
                }
                let basic = try await client.execute(uri: "/api/interventions", method: .get, headers: [.authorization: "Basic YTpi"]) { $0.status }
                #expect(basic == .unauthorized)
            }
        }
    }

    @Test func platformAdminTokensAreAccepted() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantB, role: nil, serviceRole: true)
            try await harness.app().test(.router) { (client: any TestClientProtocol) async throws in
                #expect(try await client.call(.get, "/api/interventions", token: token).status == .ok)
            }
        }
    }

    @Test func shortSecretsAreRefused() async throws {
        await #expect(throws: TokenVerifierError.self) { _ = try await TokenVerifier(secret: "too-short") }
    }
}

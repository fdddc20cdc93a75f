import Domain
import Foundation
import JWTKit
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

    /// ES256 tokens from an identity provider, verified with the keys of its JWKS document.
    @Test func tokensSignedWithAJWKSKeyAreAccepted() async throws {
        let providerKey = ES256PrivateKey()
        let parameters = try #require(providerKey.parameters)
        let jwks = """
            {"keys":[{"kty":"EC","crv":"P-256","x":"\(parameters.x)","y":"\(parameters.y)","kid":"provider-1","alg":"ES256","use":"sig"}]}
            """
        let verifier = try await TokenVerifier(secret: APIHarness.secret)
        try await verifier.add(jwks: jwks)
        let tenant = TenantID(UUID())
        func token(signedWith key: ES256PrivateKey, kid: String) async throws -> String {
            let keys = JWTKeyCollection()
            await keys.add(ecdsa: key, kid: JWKIdentifier(string: kid))
            let claims = AccessTokenClaims(
                subject: UUID().uuidString.lowercased(), role: "authenticated", audience: "authenticated",
                expiresAt: Date().addingTimeInterval(600), issuedAt: Date(), tenantID: tenant.description, tenantRole: "viewer")
            return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
        }
        let identity = try await verifier.identity(fromToken: try await token(signedWith: providerKey, kid: "provider-1"))
        #expect(identity.tenant == tenant)
        #expect(identity.role == .viewer)
        // Another key under the same kid, or an unknown kid, is refused.
        await #expect(throws: AuthError.self) {
            _ = try await verifier.identity(fromToken: try await token(signedWith: ES256PrivateKey(), kid: "provider-1"))
        }
        await #expect(throws: AuthError.self) {
            _ = try await verifier.identity(fromToken: try await token(signedWith: providerKey, kid: "unknown"))
        }
        await #expect(throws: (any Error).self) { try await verifier.add(jwks: #"{"keys":[{"kty":"EC"}]}"#) }
    }
}

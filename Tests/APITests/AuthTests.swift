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
            let unsigned =
                Self.base64URL(#"{"alg":"none","typ":"JWT"}"#) + "."
                + Self.base64URL(
                    #"{"sub":"\#(UUID().uuidString)","aud":"authenticated","exp":\#(Int(Date().timeIntervalSince1970) + 3600),"tenant_id":"\#(tenant)"}"#
                ) + "."
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

    @Test func verifiedTokensAreRememberedOnlyWhileValid() async throws {
        let verifier = try await TokenVerifier(secret: APIHarness.secret)
        let tenant = TenantID(UUID())
        let token = try await APIHarness.token(tenant: tenant)
        let first = try await verifier.identity(fromToken: token)
        let second = try await verifier.identity(fromToken: token)
        #expect(first == second)
        #expect(first.tenant == tenant)
        #expect(verifier.cache.count == 1)
        // Refused tokens are never remembered, and stay refused.
        let forged = try await APIHarness.token(tenant: tenant, secret: "another-secret-of-sufficient-length-000000")
        for _ in 0..<2 {
            await #expect(throws: AuthError.self) { _ = try await verifier.identity(fromToken: forged) }
        }
        let expired = try await APIHarness.token(tenant: tenant, expiresIn: -60)
        await #expect(throws: AuthError.self) { _ = try await verifier.identity(fromToken: expired) }
        #expect(verifier.cache.count == 1)
    }

    @Test func tokenCacheHonoursExpiryAgeAndCapacity() {
        let identity = Identity(userID: UUID(), tenant: TenantID(UUID()), role: .member, isPlatformAdmin: false)
        let now = Date()
        let cache = VerifiedTokenCache(capacity: 16, maximumAge: 60, maximumTokenLength: 100)
        cache.insert(identity, for: "a", tokenExpiresAt: now.addingTimeInterval(10), now: now)
        #expect(cache.identity(for: "a", now: now.addingTimeInterval(9)) == identity)
        // Past the token's own expiry it is gone, whatever the cache's age limit.
        #expect(cache.identity(for: "a", now: now.addingTimeInterval(10)) == nil)
        // A long-lived token is kept at most `maximumAge`.
        cache.insert(identity, for: "b", tokenExpiresAt: now.addingTimeInterval(3_600), now: now)
        #expect(cache.identity(for: "b", now: now.addingTimeInterval(59)) == identity)
        #expect(cache.identity(for: "b", now: now.addingTimeInterval(61)) == nil)
        // An already expired token is not stored.
        cache.insert(identity, for: "c", tokenExpiresAt: now.addingTimeInterval(-1), now: now)
        #expect(cache.count == 0)
        // Too long to be worth keeping: verified every time instead.
        cache.insert(identity, for: String(repeating: "x", count: 101), tokenExpiresAt: now.addingTimeInterval(30), now: now)
        #expect(cache.count == 0)
        // Bounded: the newest entry is always kept, the count never passes the capacity, and a
        // full cache of live tokens drops only a part of them.
        for index in 0..<40 {
            cache.insert(identity, for: "t\(index)", tokenExpiresAt: now.addingTimeInterval(30), now: now)
            #expect(cache.count <= 16)
            #expect(cache.identity(for: "t\(index)", now: now) == identity)
        }
        #expect(cache.count >= 14)
        // Expired entries go first when the cache is full.
        var filler = 0
        while cache.count < 16 {
            cache.insert(identity, for: "f\(filler)", tokenExpiresAt: now.addingTimeInterval(30), now: now)
            filler += 1
        }
        cache.insert(identity, for: "late", tokenExpiresAt: now.addingTimeInterval(90), now: now.addingTimeInterval(31))
        #expect(cache.count == 1)
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

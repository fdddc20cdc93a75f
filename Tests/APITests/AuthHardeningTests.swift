import Domain
import Foundation
import HTTPTypes
import HummingbirdTesting
import JWTKit
import Logging
import Testing
import TestSupport
@testable import API

/// Issuer checks, the default role, JWKS keys that must name their algorithm, and a JWKS that
/// follows the provider's URL.
struct AuthHardeningTests {
    static func esToken(_ key: ES256PrivateKey, kid: String, tenant: TenantID, role: String? = "member", issuer: String? = nil) async throws -> String
    {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key, kid: JWKIdentifier(string: kid))
        let claims = AccessTokenClaims(
            subject: UUID().uuidString.lowercased(), role: "authenticated", audience: "authenticated",
            expiresAt: Date().addingTimeInterval(600), issuedAt: Date(), tenantID: tenant.description, tenantRole: role, issuer: issuer)
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
    }

    static func jwks(_ keys: [(ES256PrivateKey, String)], alg: String? = "ES256") throws -> String {
        let entries = try keys.map { key, kid -> String in
            let parameters = try #require(key.parameters)
            let algorithm = alg.map { #","alg":"\#($0)""# } ?? ""
            return #"{"kty":"EC","crv":"P-256","x":"\#(parameters.x)","y":"\#(parameters.y)","kid":"\#(kid)"\#(algorithm),"use":"sig"}"#
        }
        return #"{"keys":[\#(entries.joined(separator: ","))]}"#
    }

    @Test func theIssuerIsCheckedWhenConfigured() async throws {
        let issuer = "https://project.supabase.co/auth/v1"
        let verifier = try await TokenVerifier(secret: APIHarness.secret, issuer: issuer)
        let key = ES256PrivateKey()
        try await verifier.setJWKS(try Self.jwks([(key, "k1")]))
        let tenant = TenantID(UUID())
        let good = try await verifier.identity(fromToken: try await Self.esToken(key, kid: "k1", tenant: tenant, issuer: issuer))
        #expect(good.tenant == tenant)
        await #expect(throws: AuthError.self) {
            _ = try await verifier.identity(fromToken: try await Self.esToken(key, kid: "k1", tenant: tenant, issuer: "https://evil.example/auth/v1"))
        }
        await #expect(throws: AuthError.self) {
            _ = try await verifier.identity(fromToken: try await Self.esToken(key, kid: "k1", tenant: tenant, issuer: nil))
        }
    }

    /// A token that states no tenant role may read, not write.
    @Test func aTokenWithoutATenantRoleIsAViewer() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA, role: nil)
            let identity = try await harness.dependencies.verifier.identity(fromToken: token)
            #expect(identity.role == .viewer)
            try await harness.app().test(.router) { client in
                #expect(try await client.call(.get, "/api/interventions", token: token).status == .ok)
                let write = try await client.call(.post, "/api/interventions", token: token, json: #"{"reference":"R","title":"T"}"#)
                #expect(write.status == .forbidden)
            }
        }
    }

    @Test func jwksKeysMustNameTheirAlgorithm() async throws {
        let verifier = try await TokenVerifier(secret: APIHarness.secret)
        await #expect {
            try await verifier.setJWKS(try Self.jwks([(ES256PrivateKey(), "k1")], alg: nil))
        } throws: { error in
            (error as? TokenVerifierError)?.description.contains("states no alg") == true
        }
        await #expect(throws: TokenVerifierError.self) { try await verifier.setJWKS(try Self.jwks([(ES256PrivateKey(), "k1")], alg: "none")) }
        await #expect(throws: TokenVerifierError.self) { try await verifier.setJWKS(#"{"keys":[{"kty":"EC","alg":"ES256"}]}"#) }
    }

    /// A junk token naming a real key id with another algorithm is refused, and the key's real
    /// users are not locked out by it.
    @Test func aJunkAlgorithmDoesNotLockAKeyOut() async throws {
        let verifier = try await TokenVerifier(secret: APIHarness.secret)
        let key = ES256PrivateKey()
        try await verifier.setJWKS(try Self.jwks([(key, "k1")]))
        let tenant = TenantID(UUID())
        let junkKeys = JWTKeyCollection()
        await junkKeys.add(hmac: HMACKey(from: Array(String(repeating: "junk", count: 20).utf8)), digestAlgorithm: .sha512, kid: "k1")
        let claims = AccessTokenClaims(
            subject: UUID().uuidString.lowercased(), role: "authenticated", audience: "authenticated",
            expiresAt: Date().addingTimeInterval(600), issuedAt: Date(), tenantID: tenant.description, tenantRole: "admin")
        let junk = try await junkKeys.sign(claims, kid: "k1")
        for _ in 0..<3 { await #expect(throws: AuthError.self) { _ = try await verifier.identity(fromToken: junk) } }
        let real = try await verifier.identity(fromToken: try await Self.esToken(key, kid: "k1", tenant: tenant))
        #expect(real.tenant == tenant)
    }

    /// The JWKS comes from a URL: fetched, refreshed when a token names a new key id (rotation),
    /// and an unknown key id does not make the API fetch more than once per gap.
    @Test func theJWKSFollowsItsURL() async throws {
        let first = ES256PrivateKey(), second = ES256PrivateKey()
        let server = try await DocumentServer.start(try Self.jwks([(first, "k1")]))
        defer { server.stop() }
        let verifier = try await TokenVerifier(secret: APIHarness.secret)
        var logger = Logger(label: "test.jwks")
        logger.logLevel = .critical
        let refresher = JWKSRefresher(url: server.url, verifier: verifier, minimumGap: .seconds(3_600), logger: logger)
        try await refresher.refresh()
        let tenant = TenantID(UUID())
        #expect(try await verifier.identity(fromToken: try await Self.esToken(first, kid: "k1", tenant: tenant)).tenant == tenant)

        // The provider rotates: k2 replaces k1. The first token naming k2 triggers one fetch —
        // here refused by the gap (the last fetch was just now), so it fails…
        server.serve(try Self.jwks([(second, "k2")]))
        let rotated = try await Self.esToken(second, kid: "k2", tenant: tenant)
        await #expect(throws: AuthError.self) { _ = try await verifier.identity(fromToken: rotated) }
        #expect(server.requests == 1)
        // …and with the gap elapsed it fetches and succeeds; k1 left the document and stops working.
        let eager = JWKSRefresher(url: server.url, verifier: verifier, minimumGap: .zero, logger: logger)
        #expect(try await verifier.identity(fromToken: rotated).tenant == tenant)
        #expect(server.requests == 2)
        await #expect(throws: AuthError.self) {
            _ = try await verifier.identity(fromToken: try await Self.esToken(first, kid: "k1", tenant: tenant))
        }
        // A provider that fails keeps the keys the verifier has.
        server.serve("oops", status: 500)
        await #expect(throws: (any Error).self) { try await eager.refresh() }
        #expect(try await verifier.identity(fromToken: try await Self.esToken(second, kid: "k2", tenant: tenant, role: "viewer")).role == .viewer)
    }

    /// A burst of tokens naming unknown key ids makes one fetch, not one each.
    @Test func unknownKeyIDsCannotMakeTheAPIHammerTheProvider() async throws {
        let key = ES256PrivateKey()
        let server = try await DocumentServer.start(try Self.jwks([(key, "k1")]))
        defer { server.stop() }
        let verifier = try await TokenVerifier(secret: APIHarness.secret)
        var logger = Logger(label: "test.jwks")
        logger.logLevel = .critical
        let refresher = JWKSRefresher(url: server.url, verifier: verifier, minimumGap: .seconds(3_600), logger: logger)
        let tenant = TenantID(UUID())
        let junk = try await Self.esToken(ES256PrivateKey(), kid: "junk", tenant: tenant)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { _ = try? await verifier.identity(fromToken: junk) } }
        }
        #expect(server.requests == 1)
        // The one fetch brought k1: its tokens work.
        #expect(try await verifier.identity(fromToken: try await Self.esToken(key, kid: "k1", tenant: tenant)).tenant == tenant)
        _ = refresher
    }
}

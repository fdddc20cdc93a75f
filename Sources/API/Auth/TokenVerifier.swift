public import Domain
import Foundation
public import JWTKit

/// Verifies access tokens (HS256 with the project's JWT secret, as Supabase signs them) and turns
/// their claims into an ``Identity``.
public struct TokenVerifier: Sendable {
    let keys: JWTKeyCollection
    let cache = VerifiedTokenCache()

    /// The secret must be at least 32 bytes (shorter HMAC keys are refused, and trap jwt-kit in debug builds).
    public init(secret: String) async throws(TokenVerifierError) {
        guard secret.utf8.count >= 32 else {
            throw TokenVerifierError("JWT_SECRET must be at least 32 bytes long (it is \(secret.utf8.count))")
        }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: Array(secret.utf8)), digestAlgorithm: .sha256)
        self.keys = keys
    }

    /// Adds the keys of a JWKS document (ES256/RS256 tokens from an identity provider).
    public func add(jwks json: String) async throws {
        try await keys.add(jwksJSON: json)
        cache.removeAll()
    }

    /// The caller, or an error saying why the token is refused.
    public func identity(fromToken token: String) async throws(AuthError) -> Identity {
        if let known = cache.identity(for: token) { return known }
        return try await verify(token)
    }

    private func verify(_ token: String) async throws(AuthError) -> Identity {
        let claims: AccessTokenClaims
        do {
            claims = try await keys.verify(token, as: AccessTokenClaims.self)
        } catch let error as JWTError {
            throw AuthError(Self.reason(error))
        } catch {
            throw AuthError("invalid token")
        }
        guard let userID = UUID(uuidString: claims.sub.value) else {
            throw AuthError("token subject is not a user id")
        }
        let isPlatformAdmin = claims.role == "service_role"
        var tenant: TenantID?
        if let text = claims.effectiveTenantID {
            guard let parsed = TenantID(uuidString: text) else { throw AuthError("token tenant_id is not a UUID") }
            tenant = parsed
        }
        guard tenant != nil || isPlatformAdmin else { throw AuthError("token names no tenant (tenant_id)") }
        let role: Identity.Role
        if isPlatformAdmin {
            role = .owner
        } else if let text = claims.appMetadata?.tenantRole {
            guard let parsed = Identity.Role(rawValue: text) else { throw AuthError("unknown tenant role '\(text)'") }
            role = parsed
        } else {
            role = .member
        }
        let identity = Identity(userID: userID, tenant: tenant, role: role, isPlatformAdmin: isPlatformAdmin)
        cache.insert(identity, for: token, tokenExpiresAt: claims.exp.value)
        return identity
    }

    static func reason(_ error: JWTError) -> String {
        let reason = (error.reason ?? "").lowercased()
        if error.errorType == .signatureVerificationFailed { return "token signature is invalid" }
        if reason.contains("expired") { return "token expired" }
        if reason.contains("too soon") { return "token not valid yet" }
        if reason.contains("intended for") || reason.contains("audience") { return "token audience is not accepted" }
        return "invalid token"
    }
}

public struct TokenVerifierError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A request that is not authenticated; answered 401.
public struct AuthError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

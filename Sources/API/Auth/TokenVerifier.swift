public import Domain
import Foundation
public import JWTKit
import Synchronization

/// Verifies access tokens (HS256 with the project's JWT secret, as Supabase signs them, or a key
/// of a JWKS document) and turns their claims into an ``Identity``.
///
/// - The issuer is checked when one is configured (Supabase's is `https://<project>.supabase.co/auth/v1`).
/// - A token without `app_metadata.tenant_role` is a viewer: the least a member of the tenant may do.
/// - Every JWKS key must state its `alg`: jwt-kit would otherwise make a key's signer for whatever
///   algorithm the first token names, and a junk token could lock the key's real users out.
/// - The JWKS can be replaced at any time (``setJWKS(_:)``, e.g. by ``JWKSRefresher``); keys that
///   left the document stop verifying.
public struct TokenVerifier: Sendable {
    let secret: [UInt8]
    let issuer: String?
    let cache = VerifiedTokenCache()
    private let keys: KeyHolder
    /// Called once when a token names a key id no key has (a rotated JWKS); `true` when it
    /// brought new keys, so the token is checked once more.
    private let unknownKey: UnknownKeyHandler

    /// The secret must be at least 32 bytes (shorter HMAC keys are refused, and trap jwt-kit in debug builds).
    public init(secret: String, issuer: String? = nil) async throws(TokenVerifierError) {
        guard secret.utf8.count >= 32 else {
            throw TokenVerifierError("JWT_SECRET must be at least 32 bytes long (it is \(secret.utf8.count))")
        }
        self.secret = Array(secret.utf8)
        self.issuer = issuer
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: Array(secret.utf8)), digestAlgorithm: .sha256)
        self.keys = KeyHolder(keys)
        self.unknownKey = UnknownKeyHandler()
    }

    /// Replaces the JWKS keys (ES256/RS256 tokens from an identity provider) with those of `json`.
    public func setJWKS(_ json: String) async throws(TokenVerifierError) {
        let jwks = try Self.checkedJWKS(json)
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        do {
            try await keys.add(jwks: jwks)
        } catch {
            throw TokenVerifierError("the JWKS has a key jwt-kit cannot use: \(error)")
        }
        self.keys.set(keys, kids: Set(jwks.keys.compactMap { $0.keyIdentifier?.string }))
        cache.removeAll()
    }

    /// Adds the keys of a JWKS document; the same as ``setJWKS(_:)``.
    public func add(jwks json: String) async throws(TokenVerifierError) {
        try await setJWKS(json)
    }

    /// Asks `handler` for fresh keys when a token names an unknown key id.
    public func onUnknownKey(_ handler: @escaping @Sendable () async -> Bool) {
        unknownKey.set(handler)
    }

    /// Keys of the JWKS, each with a `kid` and a supported `alg`.
    static func checkedJWKS(_ json: String) throws(TokenVerifierError) -> JWKS {
        struct Document: Decodable {
            struct Key: Decodable { let kid: String?; let alg: String? }
            let keys: [Key]
        }
        let data = Data(json.utf8)
        guard let document = try? JSONDecoder().decode(Document.self, from: data) else {
            throw TokenVerifierError("the JWKS is not a JSON document with a keys array")
        }
        let supported: Set<String> = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
        for (index, key) in document.keys.enumerated() {
            guard let kid = key.kid, !kid.isEmpty else { throw TokenVerifierError("JWKS key \(index) has no kid") }
            guard let alg = key.alg else { throw TokenVerifierError("JWKS key \(kid) states no alg; every key must name its algorithm") }
            guard supported.contains(alg) else { throw TokenVerifierError("JWKS key \(kid) has an unsupported alg '\(alg)'") }
        }
        do {
            return try JSONDecoder().decode(JWKS.self, from: data)
        } catch {
            throw TokenVerifierError("the JWKS cannot be read: \(error)")
        }
    }

    /// The caller, or an error saying why the token is refused.
    public func identity(fromToken token: String) async throws(AuthError) -> Identity {
        if let known = cache.identity(for: token) { return known }
        // A key id the JWKS does not have: the provider may have rotated its keys.
        if let kid = Self.keyID(of: token), !keys.knows(kid) {
            guard await unknownKey.call(), keys.knows(kid) else { throw AuthError("token is signed by an unknown key") }
        }
        return try await verify(token)
    }

    /// The `kid` of a token's header, read without verifying anything.
    static func keyID(of token: String) -> String? {
        guard let header = token.split(separator: ".", maxSplits: 1).first, header.utf8.count <= 4_096 else { return nil }
        var base64 = header.replacing("-", with: "+").replacing("_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: String(base64)) else { return nil }
        struct Header: Decodable { let kid: String? }
        return (try? JSONDecoder().decode(Header.self, from: data))?.kid
    }

    private func verify(_ token: String) async throws(AuthError) -> Identity {
        let generation = cache.generation
        let claims: AccessTokenClaims
        do {
            claims = try await keys.get().verify(token, as: AccessTokenClaims.self)
        } catch let error as JWTError {
            throw AuthError(Self.reason(error))
        } catch {
            throw AuthError("invalid token")
        }
        if let issuer, claims.iss?.value != issuer { throw AuthError("token issuer is not accepted") }
        guard let userID = UUID(text: claims.sub.value) else {
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
            // No role stated: the least a member of the tenant may do.
            role = .viewer
        }
        let identity = Identity(userID: userID, tenant: tenant, role: role, isPlatformAdmin: isPlatformAdmin)
        cache.insert(identity, for: token, tokenExpiresAt: claims.exp.value, generation: generation)
        return identity
    }

    static func reason(_ error: JWTError) -> String {
        let reason = (error.reason ?? "").lowercased()
        if error.errorType == .signatureVerificationFailed { return "token signature is invalid" }
        if error.errorType == .unknownKID { return "token is signed by an unknown key" }
        if reason.contains("expired") { return "token expired" }
        if reason.contains("too soon") { return "token not valid yet" }
        if reason.contains("intended for") || reason.contains("audience") { return "token audience is not accepted" }
        return "invalid token"
    }

    /// The current key collection and its JWKS key ids, replaced whole when the JWKS changes.
    final class KeyHolder: Sendable {
        private let state: Mutex<(keys: JWTKeyCollection, kids: Set<String>)>

        init(_ keys: JWTKeyCollection) { self.state = Mutex((keys, [])) }

        func get() -> JWTKeyCollection { state.withLock { $0.keys } }

        func knows(_ kid: String) -> Bool { state.withLock { $0.kids.contains(kid) } }

        func set(_ keys: JWTKeyCollection, kids: Set<String>) { state.withLock { $0 = (keys, kids) } }
    }

    final class UnknownKeyHandler: Sendable {
        private let handler = Mutex<(@Sendable () async -> Bool)?>(nil)

        func set(_ new: @escaping @Sendable () async -> Bool) { handler.withLock { $0 = new } }

        func call() async -> Bool {
            guard let handler = handler.withLock({ $0 }) else { return false }
            return await handler()
        }
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

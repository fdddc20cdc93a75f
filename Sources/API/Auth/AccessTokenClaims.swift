public import Foundation
public import JWTKit

/// The claims of an access token, shaped like a Supabase auth token.
///
/// Supabase puts the user id in `sub`, `authenticated` or `service_role` in `role`, and custom
/// authorisation data in `app_metadata`; the platform reads the tenant from `tenant_id` (top level,
/// or `app_metadata.tenant_id`) and the caller's role in that tenant from `app_metadata.tenant_role`.
public struct AccessTokenClaims: JWTPayload, Equatable {
    public struct AppMetadata: Codable, Sendable, Equatable {
        public var tenantID: String?
        public var tenantRole: String?

        public init(tenantID: String? = nil, tenantRole: String? = nil) {
            self.tenantID = tenantID
            self.tenantRole = tenantRole
        }

        enum CodingKeys: String, CodingKey {
            case tenantID = "tenant_id"
            case tenantRole = "tenant_role"
        }
    }

    public var sub: SubjectClaim
    public var iss: IssuerClaim?
    public var role: String?
    public var aud: AudienceClaim?
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim?
    public var nbf: NotBeforeClaim?
    public var tenantID: String?
    public var appMetadata: AppMetadata?

    /// The audience Supabase issues user tokens for.
    public static let defaultAudience = "authenticated"

    public init(
        subject: String, role: String?, audience: String?, expiresAt: Date, issuedAt: Date,
        tenantID: String?, tenantRole: String?, issuer: String? = nil
    ) {
        self.sub = SubjectClaim(value: subject)
        self.iss = issuer.map { IssuerClaim(value: $0) }
        self.role = role
        self.aud = audience.map { AudienceClaim(value: [$0]) }
        self.exp = ExpirationClaim(value: expiresAt)
        self.iat = IssuedAtClaim(value: issuedAt)
        self.nbf = nil
        self.tenantID = nil
        self.appMetadata = AppMetadata(tenantID: tenantID, tenantRole: tenantRole)
    }

    enum CodingKeys: String, CodingKey {
        case sub, iss, role, aud, exp, iat, nbf
        case tenantID = "tenant_id"
        case appMetadata = "app_metadata"
    }

    /// Checks expiry, not-before and audience; the signature was checked by the key collection.
    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        try nbf?.verifyNotBefore()
        guard let aud else {
            throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "token has no audience")
        }
        try aud.verifyIntendedAudience(includes: Self.defaultAudience)
    }

    /// The tenant the token acts for: top-level `tenant_id` first, then `app_metadata.tenant_id`.
    public var effectiveTenantID: String? { tenantID ?? appMetadata?.tenantID }
}

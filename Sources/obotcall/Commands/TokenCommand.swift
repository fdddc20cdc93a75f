import API
import ArgumentParser
import Foundation
import JWTKit

/// `obotcall token`: mints a development access token signed with the API's HS256 secret.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint a development JWT (HS256 with $JWT_SECRET), shaped like a Supabase access token."
    )

    @Option(help: "Tenant id (UUID) the token acts for.") var tenant: String?
    @Option(help: "Role in the tenant (owner, admin, member, viewer), or service_role for a platform admin.")
    var role: String = "member"
    @Option(help: "User id (UUID; the token's subject).") var user: String = "00000000-0000-4000-8000-0000000000aa"
    @Option(help: "Lifetime in seconds.") var ttl: Int = 86_400
    @Option(help: "HS256 secret of at least 32 bytes (default: $JWT_SECRET).") var secret: String?

    func validate() throws {
        guard ttl > 0 else { throw ValidationError("--ttl must be positive") }
        guard UUID(uuidString: user) != nil else { throw ValidationError("--user '\(user)' is not a UUID") }
        if let tenant, UUID(uuidString: tenant) == nil { throw ValidationError("--tenant '\(tenant)' is not a UUID") }
        if role != "service_role" && tenant == nil {
            throw ValidationError("--tenant is required unless --role service_role")
        }
    }

    func run() async throws {
        let secret = try self.secret ?? ProcessEnvironment().require("JWT_SECRET", hint: "the API's HS256 signing secret")
        guard secret.utf8.count >= 32 else {
            throw ValidationError("the JWT secret must be at least 32 bytes long (it is \(secret.utf8.count))")
        }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: Array(secret.utf8)), digestAlgorithm: .sha256)
        let now = Date()
        let isPlatformAdmin = role == "service_role"
        let claims = AccessTokenClaims(
            subject: user.lowercased(),
            role: isPlatformAdmin ? "service_role" : "authenticated",
            audience: AccessTokenClaims.defaultAudience,
            expiresAt: now.addingTimeInterval(TimeInterval(ttl)),
            issuedAt: now,
            tenantID: tenant?.lowercased(),
            tenantRole: isPlatformAdmin ? nil : role
        )
        print(try await keys.sign(claims))
    }
}

public import Domain
public import Hummingbird

extension APIRequestContext {
    /// The caller's tenant, requiring at least `role` in it; 403 otherwise (also for a platform
    /// token that names no tenant: these routes act for one).
    public func requireTenant(role minimum: Identity.Role = .viewer) throws -> TenantID {
        let identity = try requireIdentity()
        guard let tenant = identity.tenant else {
            throw HTTPError(.forbidden, message: "this route acts for one tenant: the token names none (tenant_id)")
        }
        guard identity.isPlatformAdmin || identity.role >= minimum else {
            throw HTTPError(.forbidden, message: "this action needs the \(minimum.rawValue) role in the tenant")
        }
        return tenant
    }
}

public import Domain
public import Hummingbird

extension APIRequestContext {
    /// The caller's tenant, requiring at least `role` in it (403 otherwise).
    public func requireTenant(role minimum: Identity.Role = .viewer) throws -> TenantID {
        let identity = try requireIdentity()
        guard let tenant = identity.tenant else {
            throw HTTPError(.badRequest, message: "this route acts for one tenant: the token names none (tenant_id)")
        }
        guard identity.isPlatformAdmin || identity.role >= minimum else {
            throw HTTPError(.forbidden, message: "this action needs the \(minimum.rawValue) role in the tenant")
        }
        return tenant
    }
}

extension Request {
    /// `?limit=&offset=` (default 50 and 0, limit at most 200); 400 naming the parameter when invalid.
    public func pagination() throws -> (limit: Int, offset: Int) {
        var limit = 50
        var offset = 0
        if let text = uri.queryParameters["limit"] {
            guard let value = Int(String(text)), (1...200).contains(value) else { throw invalid("limit", "must be between 1 and 200") }
            limit = value
        }
        if let text = uri.queryParameters["offset"] {
            guard let value = Int(String(text)), value >= 0 else { throw invalid("offset", "must be a non-negative integer") }
            offset = value
        }
        return (limit, offset)
    }
}

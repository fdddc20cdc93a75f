public import Domain
public import Foundation
import PostgresNIO

/// Creates tenants and their members. Runs on a `Database` of the owner role (the runtime role may
/// only read tenants); used by `obotcall tenant create` for operators and by the development stack.
public struct TenantStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Creates the tenant unless one with this id exists; `true` when it was created now.
    @discardableResult
    public func createTenant(id: TenantID, slug: String, name: String) async throws(StoreError) -> Bool {
        try await database.withTenant(id) { tx in
            let rows = try await tx.query(
                """
                INSERT INTO public.tenants (id, slug, name) VALUES (\(id.rawValue), \(slug), \(name))
                ON CONFLICT (id) DO NOTHING RETURNING id
                """)
            return !rows.isEmpty
        }
    }

    /// Gives `user` the `role` in `tenant`, creating the user record when needed.
    public func addMember(tenant: TenantID, user: UUID, email: String?, role: String) async throws(StoreError) {
        try await database.withTenant(tenant) { tx in
            // Role first: the user record is visible to this tenant only through it (the foreign
            // key is deferred to the commit).
            try await tx.query(
                """
                INSERT INTO public.user_tenant_roles (tenant_id, user_id, role) VALUES (\(tenant.rawValue), \(user), \(role))
                ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = EXCLUDED.role
                """)
            try await tx.query(
                """
                INSERT INTO public.users (id, email) VALUES (\(user), \(email))
                ON CONFLICT (id) DO NOTHING
                """)
        }
    }

    /// Sets the tenant's model-token budgets (`nil`: none of that kind, the deployment default applies).
    public func setTokenBudget(tenant: TenantID, daily: Int?, monthly: Int?) async throws(StoreError) {
        try await database.withTenant(tenant) { tx in
            try await tx.query(
                """
                INSERT INTO agent_app.token_budgets (tenant_id, daily_tokens, monthly_tokens) VALUES (\(tenant.rawValue), \(daily), \(monthly))
                ON CONFLICT (tenant_id) DO UPDATE SET daily_tokens = EXCLUDED.daily_tokens,
                    monthly_tokens = EXCLUDED.monthly_tokens, updated_at = now()
                """)
        }
    }
}

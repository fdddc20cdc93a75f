public import Domain
public import Foundation
import PostgresNIO

extension Database {
    /// The tenant's intervention `id`, or `nil` when it does not exist or belongs to another tenant.
    ///
    /// One prepared statement instead of a ``withTenant(_:_:)`` transaction: the request paths that
    /// only need this row (enqueueing a notification, showing an intervention) then cost one round
    /// trip to PostgreSQL instead of four, with no parsing or planning after a connection's first
    /// call. The SQL function sets the tenant itself and reads under the same row-level security
    /// (migration 0006).
    public func intervention(_ id: UUID, of tenant: TenantID) async throws(StoreError) -> InterventionRecord? {
        let client = self.client
        let logger = self.logger
        do {
            // Bounded like every call; past the deadline the caller gets `unavailable`.
            return try await DatabaseDeadline.run(callTimeout, onTimeout: {}) {
                let rows = try await client.execute(TenantInterventionStatement(tenant: tenant.rawValue, id: id), logger: logger)
                var found: InterventionRecord?
                for try await record in rows { found = record }  // consumed to the end, so the connection returns to the pool
                return found
            }
        } catch {
            throw StoreError(error)
        }
    }
}

/// `inter_app.tenant_intervention` as a named prepared statement.
struct TenantInterventionStatement: PostgresPreparedStatement {
    static let name = "obotcall_tenant_intervention_v1"
    static let sql = """
        SELECT id, reference, title, description, status, scheduled_at, technician, address
        FROM inter_app.tenant_intervention($1, $2) WHERE id IS NOT NULL
        """
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .uuid]
    typealias Row = InterventionRecord

    let tenant: UUID
    let id: UUID

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(tenant)
        bindings.append(id)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> InterventionRecord {
        try InterventionRecord(row: row)
    }
}

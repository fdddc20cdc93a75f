import Domain
import Foundation
import PostgresNIO
import Testing
import TestSupport
@testable import Store

/// The single-statement tenant reads (migration 0006): the same isolation as `withTenant`, and no
/// trace of the tenant they set once they return.
@Suite struct TenantReadFunctionTests {
    @Test func readsOnlyTheGivenTenantsIntervention() async throws {
        try await TestDatabase.with { database in
            let tenantA = UUID(), tenantB = UUID()
            for statement in SQLScript.statements(in: TenantIsolationTests.seed(tenantA, tag: "a") + TenantIsolationTests.seed(tenantB, tag: "b")) {
                _ = try await database.admin.client.query(PostgresQuery(unsafeSQL: statement)).collect()
            }
            let ids = try await database.admin.client.query("SELECT id, tenant_id FROM inter_app.interventions").collect()
                .map { try $0.decode((UUID, UUID).self) }
            let ofA = try #require(ids.first { $0.1 == tenantA }?.0)
            let ofB = try #require(ids.first { $0.1 == tenantB }?.0)

            let own = try await database.runtime.intervention(ofA, of: TenantID(tenantA))
            #expect(own?.id == ofA)
            #expect(own?.reference == "REF-a")
            // Another tenant's id answers nothing, exactly like a missing one.
            #expect(try await database.runtime.intervention(ofB, of: TenantID(tenantA)) == nil)
            #expect(try await database.runtime.intervention(UUID(), of: TenantID(tenantA)) == nil)
            #expect(try await database.runtime.intervention(ofB, of: TenantID(tenantB))?.reference == "REF-b")
            // Repeated calls on a pooled connection reuse the prepared statement and stay correct.
            for _ in 0..<20 {
                #expect(try await database.runtime.intervention(ofA, of: TenantID(tenantB)) == nil)
                #expect(try await database.runtime.intervention(ofA, of: TenantID(tenantA))?.id == ofA)
            }
        }
    }

    @Test func leavesNoTenantBehind() async throws {
        try await TestDatabase.with { database in
            let tenant = UUID(), other = UUID()
            for statement in SQLScript.statements(in: TenantIsolationTests.seed(tenant, tag: "a") + TenantIsolationTests.seed(other, tag: "b")) {
                _ = try await database.admin.client.query(PostgresQuery(unsafeSQL: statement)).collect()
            }
            let id = try #require(
                try await database.admin.client.query(
                    "SELECT id FROM inter_app.interventions WHERE tenant_id = \(tenant)"
                ).collect().first?.decode(UUID.self))
            // Inside the other tenant's transaction: the function reads as the tenant it is given,
            // and afterwards the transaction is the other tenant's again, for the policies too.
            let (read, setting, visibleAfter) = try await database.runtime.withTenant(TenantID(other)) { tx in
                let read = try await tx.query(
                    "SELECT count(*) FROM inter_app.tenant_intervention(\(tenant), \(id)) WHERE id IS NOT NULL"
                ).first?.decode(Int.self)
                let setting = try await tx.query("SELECT current_setting('app.tenant_id', true)").first?.decode(String.self)
                let visible = try await tx.query("SELECT count(*) FROM inter_app.interventions WHERE id = \(id)").first?.decode(Int.self)
                return (read, setting, visible)
            }
            #expect(read == 1)
            #expect(setting == other.uuidString.lowercased())
            #expect(visibleAfter == 0)
            // On its own, the statement's transaction ends with it: later statements see no tenant.
            _ = try await database.runtime.intervention(UUID(), of: TenantID(tenant))
            for _ in 0..<10 {
                let after = try await database.runtime.withTransaction { connection in
                    try await connection.query("SELECT NULLIF(current_setting('app.tenant_id', true), '')", logger: TestDatabase.logger)
                        .collect().first?.decode(String?.self)
                }
                #expect(after == .some(nil))
            }
        }
    }

    /// A function that ran as its owner would read past row-level security: every function in a
    /// tenant schema must run as its caller — except the outbox relay's two (migration 0009),
    /// which exist to work across tenants on `public.job_outbox` alone, and the schedule
    /// reconciler's read of `public.job_schedules` (migration 0011), and the limits reconciler's
    /// and the platform usage report's reads (migration 0013); all pin their search path so
    /// that a caller cannot redirect what they touch.
    @Test func tenantSchemaFunctionsRunAsTheirCaller() async throws {
        try await TestDatabase.with { database in
            let rows = try await database.admin.client.query(
                """
                SELECT n.nspname::text || '.' || p.proname::text, p.prosecdef, coalesce(array_to_string(p.proconfig, ','), '')
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname IN ('public', 'inter_app', 'immo_app', 'agent_app')
                """
            ).collect().map { try $0.decode((String, Bool, String).self) }
            #expect(rows.contains { $0.0 == "inter_app.tenant_intervention" })
            let relay: Set<String> = [
                "public.outbox_claim", "public.outbox_prune", "public.schedules_page", "public.tenant_limits_page", "public.job_usage_since",
                "public.token_usage_since", "public.job_results_find_any",
            ]
            #expect(
                Set(rows.filter(\.1).map(\.0)) == relay,
                "only the outbox relay's, the schedule and limits reconcilers', the usage report's and the job search's functions may be SECURITY DEFINER"
            )
            for (name, _, settings) in rows where relay.contains(name) {
                #expect(settings.contains("search_path=pg_catalog, public"), "\(name) does not pin its search_path: \(settings)")
            }
        }
    }
}

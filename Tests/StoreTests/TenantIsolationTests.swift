import Domain
import Foundation
import PostgresNIO
import Testing
import TestSupport
@testable import Store

/// Row-level security holds for every tenant table, found from the catalog so that a table added
/// later without a policy (or without a fixture here) fails this suite.
@Suite struct TenantIsolationTests {
    /// Fixture rows for one tenant in every tenant table; inserted as the superuser.
    static func seed(_ tenant: UUID, tag: String) -> String {
        let user = UUID(), intervention = UUID(), endpoint = UUID(), importID = UUID(), agent = UUID(), run = UUID()
        return """
            INSERT INTO public.tenants (id, slug, name) VALUES ('\(tenant)', 'tenant-\(tag)', 'Tenant \(tag)');
            INSERT INTO public.users (id, email) VALUES ('\(user)', '\(tag)@example.com');
            INSERT INTO public.user_tenant_roles (tenant_id, user_id, role) VALUES ('\(tenant)', '\(user)', 'admin');
            INSERT INTO public.job_results (tenant_id, queue, job_id, name, state) VALUES ('\(tenant)', 'q', 'job-\(tag)', 'n', 'completed');
            INSERT INTO inter_app.interventions (id, tenant_id, reference, title) VALUES ('\(intervention)', '\(tenant)', 'REF-\(tag)', 'Visit');
            INSERT INTO inter_app.webhook_endpoints (id, tenant_id, url) VALUES ('\(endpoint)', '\(tenant)', 'https://\(tag).example.com/hook');
            INSERT INTO inter_app.notifications (tenant_id, intervention_id, endpoint_id, queue, job_id, event)
                VALUES ('\(tenant)', '\(intervention)', '\(endpoint)', 'inter-notifications', 'n-\(tag)', 'scheduled');
            INSERT INTO immo_app.property_imports (id, tenant_id, format, source, source_size) VALUES ('\(importID)', '\(tenant)', 'csv', '\\x00', 1);
            INSERT INTO immo_app.properties (tenant_id, external_ref, title, property_type, import_id)
                VALUES ('\(tenant)', 'ext-\(tag)', 'Flat', 'apartment', '\(importID)');
            INSERT INTO agent_app.agents (id, tenant_id, name, provider, model) VALUES ('\(agent)', '\(tenant)', 'Agent', 'scripted', 'm');
            INSERT INTO agent_app.agent_runs (id, tenant_id, agent_id) VALUES ('\(run)', '\(tenant)', '\(agent)');
            INSERT INTO agent_app.agent_run_steps (tenant_id, run_id, seq, kind, payload) VALUES ('\(tenant)', '\(run)', 1, 'model_response', '{}');
            INSERT INTO agent_app.token_budgets (tenant_id, daily_tokens, monthly_tokens) VALUES ('\(tenant)', 1000, 20000);
            INSERT INTO agent_app.token_usage (tenant_id, day, tokens) VALUES ('\(tenant)', current_date, 42);
            INSERT INTO public.job_outbox (tenant_id, queue, job_id, name, data, options) VALUES ('\(tenant)', 'q', 'job-\(tag)', 'n', '{}', '{}');
            INSERT INTO public.job_schedules (tenant_id, kind, name, every_ms, agent_id, prompt)
                VALUES ('\(tenant)', 'agent-run', 'Weekly', 3600000, '\(agent)', 'Report');
            INSERT INTO public.tenant_queue_limits (tenant_id, queue, weight, paused) VALUES ('\(tenant)', 'immo-imports', 2, true);
            """
    }

    struct Table: CustomStringConvertible, Sendable {
        let schema: String
        let name: String
        var qualified: String { "\"\(schema)\".\"\(name)\"" }
        var description: String { "\(schema).\(name)" }
    }

    static func tenantTables(_ database: Database) async throws -> [Table] {
        let rows = try await database.client.query(
            """
            SELECT c.table_schema::text, c.table_name::text
            FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'
              AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
            ORDER BY 1, 2
            """)
        var tables: [Table] = []
        for try await (schema, name) in rows.decode((String, String).self) { tables.append(Table(schema: schema, name: name)) }
        return tables
    }

    static func count(_ database: Database, _ sql: String) async throws -> Int {
        let rows = try await database.client.query(PostgresQuery(unsafeSQL: sql))
        for try await (count, ) in rows.decode((Int,).self) { return count }
        return -1
    }

    @Test func everyTenantTableIsolatesTenants() async throws {
        try await TestDatabase.with { database in
            let tenantA = UUID(), tenantB = UUID()
            for statement in SQLScript.statements(in: Self.seed(tenantA, tag: "a") + Self.seed(tenantB, tag: "b")) {
                _ = try await database.admin.client.query(PostgresQuery(unsafeSQL: statement)).collect()
            }
            let tables = try await Self.tenantTables(database.admin)
            #expect(tables.count >= 10, "expected the tenant tables of DESIGN.md, found \(tables)")

            for table in tables {
                let flags = try await database.admin.client.query(
                    "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = \(table.qualified)::regclass")
                for try await (enabled, forced) in flags.decode((Bool, Bool).self) {
                    #expect(enabled, "row-level security is not enabled on \(table)")
                    #expect(forced, "row-level security is not forced on \(table)")
                }
                for tenant in [tenantA, tenantB] {
                    let rows = try await Self.count(database.admin, "SELECT count(*)::int FROM \(table.qualified) WHERE tenant_id = '\(tenant)'")
                    #expect(rows >= 1, "no fixture row in \(table): add one to TenantIsolationTests.seed")
                }
                try await checkIsolation(of: table, database: database, own: tenantA, other: tenantB)
            }
        }
    }

    func checkIsolation(of table: Table, database: TestDatabase, own: UUID, other: UUID) async throws {
        let runtime = database.runtime
        let tenant = TenantID(own)
        let ownRows = try await Self.count(database.admin, "SELECT count(*)::int FROM \(table.qualified) WHERE tenant_id = '\(own)'")

        // A table the runtime role may not update or delete from (read-only to it) is isolated
        // for those verbs by its privileges; the row checks apply to the verbs it holds.
        let mayUpdate = try await Self.count(
            database.admin, "SELECT has_table_privilege('obotcall_app', '\(table.qualified)', 'UPDATE')::int")
        let mayDelete = try await Self.count(
            database.admin, "SELECT has_table_privilege('obotcall_app', '\(table.qualified)', 'DELETE')::int")
        let (visible, foreign, updated, deleted) = try await runtime.withTenant(tenant) { tx in
            let visible = try await tx.query(PostgresQuery(unsafeSQL: "SELECT 1 FROM \(table.qualified)")).count
            let foreign = try await tx.query(PostgresQuery(unsafeSQL: "SELECT 1 FROM \(table.qualified) WHERE tenant_id = '\(other)'")).count
            let updated =
                mayUpdate == 0
                ? 0
                : try await tx.query(
                    PostgresQuery(unsafeSQL: "UPDATE \(table.qualified) SET tenant_id = tenant_id WHERE tenant_id = '\(other)' RETURNING 1")
                ).count
            let deleted =
                mayDelete == 0
                ? 0
                : try await tx.query(
                    PostgresQuery(unsafeSQL: "DELETE FROM \(table.qualified) WHERE tenant_id = '\(other)' RETURNING 1")
                ).count
            return (visible, foreign, updated, deleted)
        }
        #expect(visible == ownRows, "\(table): tenant A sees \(visible) rows, owns \(ownRows)")
        #expect(foreign == 0, "\(table): tenant A can select tenant B's rows")
        #expect(updated == 0, "\(table): tenant A can update tenant B's rows")
        #expect(deleted == 0, "\(table): tenant A can delete tenant B's rows")

        // A copy of an own row, relabelled for the other tenant, must be refused.
        let insertError = await #expect(throws: StoreError.self, "\(table): tenant A inserted a row for tenant B") {
            try await runtime.withTenant(tenant) { tx in
                try await tx.query(
                    PostgresQuery(
                        unsafeSQL: """
                            INSERT INTO \(table.qualified)
                            SELECT (jsonb_populate_record(NULL::\(table.qualified), to_jsonb(x) || jsonb_build_object('tenant_id', '\(other)'))).*
                            FROM \(table.qualified) x LIMIT 1
                            """))
            }
        }
        #expect(insertError?.kind == .permissionDenied, "\(table): \(String(describing: insertError))")

        let moveError = await #expect(throws: StoreError.self, "\(table): tenant A moved a row to tenant B") {
            try await runtime.withTenant(tenant) { tx in
                try await tx.query(PostgresQuery(unsafeSQL: "UPDATE \(table.qualified) SET tenant_id = '\(other)'"))
            }
        }
        #expect(moveError?.kind == .permissionDenied, "\(table): \(String(describing: moveError))")

        let withoutTenant = try await runtime.withTransaction { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "SELECT 1 FROM \(table.qualified)"), logger: TestDatabase.logger).collect().count
        }
        #expect(withoutTenant == 0, "\(table): rows visible with no tenant set")
    }

    @Test func tenantsAndUsersAreVisibleOnlyToTheirTenant() async throws {
        try await TestDatabase.with { database in
            let tenantA = UUID(), tenantB = UUID()
            for statement in SQLScript.statements(in: Self.seed(tenantA, tag: "a") + Self.seed(tenantB, tag: "b")) {
                _ = try await database.admin.client.query(PostgresQuery(unsafeSQL: statement)).collect()
            }
            let (tenants, users) = try await database.runtime.withTenant(TenantID(tenantA)) { tx in
                var tenants: [UUID] = []
                for row in try await tx.query("SELECT id FROM public.tenants") { tenants.append(try row.decode(UUID.self)) }
                var users: [String] = []
                for row in try await tx.query("SELECT email FROM public.users") { users.append(try row.decode(String.self)) }
                return (tenants, users)
            }
            #expect(tenants == [tenantA])
            #expect(users == ["a@example.com"])
        }
    }

    @Test func runtimeRoleCannotBypassRowLevelSecurity() async throws {
        try await TestDatabase.with { database in
            let rows = try await database.runtime.client.query(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            for try await (superuser, bypass) in rows.decode((Bool, Bool).self) {
                #expect(!superuser)
                #expect(!bypass)
            }
            // Turning row security off does not expose rows: PostgreSQL refuses the query instead.
            let error = await #expect(throws: StoreError.self) {
                try await database.runtime.withTransaction { connection in
                    try await connection.query("SET LOCAL row_security = off", logger: TestDatabase.logger)
                    return try await connection.query("SELECT * FROM immo_app.properties", logger: TestDatabase.logger).collect().count
                }
            }
            #expect(error?.kind == .permissionDenied)
            // Nor can it switch the policies off.
            let alter = await #expect(throws: StoreError.self) {
                try await database.runtime.withTransaction { connection in
                    try await connection.query("ALTER TABLE immo_app.properties DISABLE ROW LEVEL SECURITY", logger: TestDatabase.logger)
                }
            }
            #expect(alter != nil)
        }
    }

    @Test func tenantSettingDoesNotOutliveItsTransaction() async throws {
        try await TestDatabase.with { database in
            let tenant = TenantID(UUID())
            let inside = try await database.runtime.withTenant(tenant) { tx in
                try await tx.query("SELECT current_setting('app.tenant_id', true)").first?.decode(String.self)
            }
            #expect(inside == tenant.description)
            // Many transactions on a small pool: none of them inherits the setting.
            for _ in 0..<20 {
                let after = try await database.runtime.withTransaction { connection in
                    try await connection.query("SELECT NULLIF(current_setting('app.tenant_id', true), '')", logger: TestDatabase.logger)
                        .collect().first?.decode(String?.self)
                }
                #expect(after == .some(nil))
            }
        }
    }
}

import Domain
import Foundation
import Logging
import PostgresNIO
import Testing
import TestSupport
@testable import Store

struct StoreErrorTests {
    @Test func uniqueViolationIsNamed() async throws {
        try await TestDatabase.with { database in
            let tenant = TenantID(UUID())
            try await TenantStore(database: database.owner).createTenant(id: tenant, slug: "dup-test", name: "Dup")
            let insert: PostgresQuery = """
                INSERT INTO immo_app.properties (tenant_id, external_ref, title, property_type)
                VALUES (\(tenant.rawValue), 'REF-1', 'Flat', 'apartment')
                """
            _ = try await database.runtime.withTenant(tenant) { tx in try await tx.query(insert) }
            let error = await #expect(throws: StoreError.self) {
                try await database.runtime.withTenant(tenant) { tx in try await tx.query(insert) }
            }
            #expect(error?.kind == .uniqueViolation)
            #expect(error?.sqlState == "23505")
            #expect(error?.constraint == "properties_tenant_id_external_ref_key")
            #expect(error?.isRetryable == false)
        }
    }

    @Test func checkViolationAndBadInputAreNamed() async throws {
        try await TestDatabase.with { database in
            let tenant = TenantID(UUID())
            try await TenantStore(database: database.owner).createTenant(id: tenant, slug: "check-test", name: "Check")
            let badType = await #expect(throws: StoreError.self) {
                try await database.runtime.withTenant(tenant) { tx in
                    try await tx.query(
                        """
                        INSERT INTO immo_app.properties (tenant_id, external_ref, title, property_type)
                        VALUES (\(tenant.rawValue), 'REF-2', 'Castle', 'castle')
                        """)
                }
            }
            #expect(badType?.kind == .constraintViolation)
            let badUUID = await #expect(throws: StoreError.self) {
                try await database.runtime.withTenant(tenant) { tx in
                    try await tx.query("SELECT 'not-a-uuid'::uuid")
                }
            }
            #expect(badUUID?.kind == .invalidInput)
        }
    }

    @Test func unreachableServerIsUnavailable() async throws {
        var url = try TestEnvironment.runtimeDatabaseURL()
        url.port = 1  // nothing listens on port 1
        var configuration = url.clientConfiguration()
        configuration.options.connectTimeout = .seconds(1)
        let database = Database(configuration: configuration, logger: TestDatabase.logger)
        await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await database.run() }
            defer { group.cancelAll() }
            let error = await #expect(throws: StoreError.self) { try await database.ping() }
            #expect(error?.kind == .unavailable, "\(String(describing: error))")
            #expect(error?.isRetryable == true)
        }
    }

    @Test func databaseURLParsing() throws {
        let url = try DatabaseURL("postgres://app:p%40ss@db.internal:6543/obotcall?sslmode=require&application_name=api")
        #expect(url.username == "app")
        #expect(url.password == "p@ss")
        #expect(url.host == "db.internal")
        #expect(url.port == 6543)
        #expect(url.database == "obotcall")
        #expect(url.sslMode == .require)
        #expect(url.applicationName == "api")
        #expect(url.description == "postgres://app:***@db.internal:6543/obotcall")

        #expect(throws: DatabaseURLError.self) { try DatabaseURL("mysql://a@b/c") }
        #expect(throws: DatabaseURLError.self) { try DatabaseURL("postgres://host/db") }
        #expect(throws: DatabaseURLError.self) { try DatabaseURL("postgres://user@host") }
        #expect(throws: DatabaseURLError.self) { try DatabaseURL("postgres://user@host/db?sslmode=sometimes") }
    }

    @Test func poolSizeComesFromTheURL() throws {
        #expect(try DatabaseURL("postgres://app@db/obotcall").maximumConnections == DatabaseURL.defaultMaximumConnections)
        let sized = try DatabaseURL("postgres://app@db/obotcall?pool_max_conns=6")
        #expect(sized.maximumConnections == 6)
        #expect(sized.clientConfiguration().options.maximumConnections == 6)
        // Kept when the URL is handed on (to a child process, say).
        #expect(try DatabaseURL(sized.absoluteString).maximumConnections == 6)
        for bad in ["0", "-1", "1001", "many", ""] {
            #expect(throws: DatabaseURLError.self, "\(bad)") { try DatabaseURL("postgres://app@db/obotcall?pool_max_conns=\(bad)") }
        }
        // PostgresNIO's defaults unless asked: connections opened on demand, a keep-alive query every 30 s.
        let plain = try DatabaseURL("postgres://app@db/obotcall").clientConfiguration().options
        #expect(plain.minimumConnections == 0)
        #expect(plain.keepAliveBehavior?.frequency == .seconds(30))
        // A fixed-size pool without keep-alive queries, as compose.yml runs it.
        let fixed = try DatabaseURL("postgres://app@db/obotcall?pool_max_conns=10&pool_min_conns=10&pool_keepalive_seconds=0")
        #expect(fixed.clientConfiguration().options.minimumConnections == 10)
        #expect(fixed.clientConfiguration().options.keepAliveBehavior == nil)
        let again = try DatabaseURL(fixed.absoluteString)
        #expect(again.minimumConnections == 10 && again.maximumConnections == 10 && again.keepAliveSeconds == nil)
        #expect(
            try DatabaseURL("postgres://app@db/obotcall?pool_keepalive_seconds=5").clientConfiguration().options
                .keepAliveBehavior?.frequency == .seconds(5))
        // A minimum above the maximum is capped rather than refused.
        #expect(
            try DatabaseURL("postgres://app@db/obotcall?pool_max_conns=4&pool_min_conns=8").clientConfiguration().options
                .minimumConnections == 4)
        for bad in ["pool_min_conns=-1", "pool_min_conns=x", "pool_keepalive_seconds=-5", "pool_keepalive_seconds=soon"] {
            #expect(throws: DatabaseURLError.self, "\(bad)") { try DatabaseURL("postgres://app@db/obotcall?\(bad)") }
        }
    }
}

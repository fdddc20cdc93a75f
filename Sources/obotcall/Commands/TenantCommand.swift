import ArgumentParser
import Logging
import Domain
import Foundation
import Store

/// `obotcall tenant create`: operator tooling to create a tenant and its first member.
struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Manage tenants (as the owner role).",
        subcommands: [Create.self, Budget.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant (idempotent by id), optionally with a first member.",
            discussion: "The database comes from --database-url, else $MIGRATION_DATABASE_URL, else $DATABASE_URL."
        )

        @OptionGroup var database: DatabaseOptions
        @Option(help: "Tenant id (a UUID; default: a new one).") var id: String?
        @Option(help: "Short unique name: lowercase letters, digits and dashes.") var slug: String
        @Option(help: "Display name.") var name: String
        @Option(help: "User id (UUID) to add as a member.") var user: String?
        @Option(help: "The member's role: owner, admin, member or viewer.") var role: String = "admin"
        @Option(help: "The member's email.") var email: String?

        func run() async throws {
            let logger = LogSetup.logger(label: "obotcall.tenant")
            let url = try database.url(environmentName: "MIGRATION_DATABASE_URL", fallback: "DATABASE_URL")
            let tenant: TenantID
            if let id {
                guard let parsed = TenantID(uuidString: id) else { throw ValidationError("--id '\(id)' is not a UUID") }
                tenant = parsed
            } else {
                tenant = TenantID(UUID())
            }
            let member = try user.map { text -> UUID in
                guard let uuid = UUID(uuidString: text) else { throw ValidationError("--user '\(text)' is not a UUID") }
                return uuid
            }
            guard ["owner", "admin", "member", "viewer"].contains(role) else {
                throw ValidationError("--role must be owner, admin, member or viewer")
            }
            let (slug, name, role, email) = (self.slug, self.name, self.role, self.email)
            try await withDatabase(url, logger: logger) { database in
                let store = TenantStore(database: database)
                let created = try await store.createTenant(id: tenant, slug: slug, name: name)
                if let member {
                    try await store.addMember(tenant: tenant, user: member, email: email, role: role)
                }
                logger.info(created ? "tenant created" : "tenant already exists", metadata: ["tenant": "\(tenant)"])
            }
            print(tenant.description)
        }
    }

    struct Budget: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a tenant's model-token budgets (per UTC day and month); omit one for no limit of that kind.",
            discussion: "Without either, the deployment's AGENT_DAILY_TOKEN_BUDGET / AGENT_MONTHLY_TOKEN_BUDGET apply."
        )

        @OptionGroup var database: DatabaseOptions
        @Option(help: "Tenant id (UUID).") var tenant: String
        @Option(help: "Tokens per UTC day.") var daily: Int?
        @Option(help: "Tokens per UTC month.") var monthly: Int?

        func validate() throws {
            guard TenantID(uuidString: tenant) != nil else { throw ValidationError("--tenant '\(tenant)' is not a UUID") }
            for (name, value) in [("--daily", daily), ("--monthly", monthly)] {
                if let value, !(0...1_000_000_000_000).contains(value) {
                    throw ValidationError("\(name) must be between 0 and 1000000000000 tokens")
                }
            }
        }

        func run() async throws {
            let logger = LogSetup.logger(label: "obotcall.tenant")
            let url = try database.url(environmentName: "MIGRATION_DATABASE_URL", fallback: "DATABASE_URL")
            guard let id = TenantID(uuidString: tenant) else { throw ValidationError("--tenant '\(tenant)' is not a UUID") }
            let (daily, monthly) = (self.daily, self.monthly)
            try await withDatabase(url, logger: logger) { database in
                try await TenantStore(database: database).setTokenBudget(tenant: id, daily: daily, monthly: monthly)
            }
            logger.info(
                "token budget set",
                metadata: [
                    "tenant": "\(id)", "daily": "\(daily.map(String.init) ?? "none")",
                    "monthly": "\(monthly.map(String.init) ?? "none")",
                ])
        }
    }
}

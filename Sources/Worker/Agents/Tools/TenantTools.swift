public import AgentRuntime
public import Domain
import Foundation
import Jobs
public import Queue
public import Store

/// The built-in tools, bound to one run's tenant: every read and write goes through
/// `withTenant(tenant)`, so an agent sees its own tenant's data and nothing else.
public enum TenantTools {
    public static let names = AgentToolName.all

    /// The tools named in `enabled`, acting for `tenant`.
    public static func make(_ enabled: [String], tenant: TenantID, database: Database, notifications: Queue?) -> [any AgentTool] {
        var tools: [any AgentTool] = []
        for name in enabled {
            switch AgentToolName(rawValue: name) {
            case .searchProperties: tools.append(SearchPropertiesTool(tenant: tenant, database: database))
            case .getIntervention: tools.append(GetInterventionTool(tenant: tenant, database: database))
            case .listInterventions: tools.append(ListInterventionsTool(tenant: tenant, database: database))
            case .notifyIntervention:
                if let notifications { tools.append(NotifyInterventionTool(tenant: tenant, database: database, notifications: notifications)) }
            case nil: continue
            }
        }
        return tools
    }

    static func json(_ value: some Encodable) throws -> String {
        try CanonicalJSON.text(value)
    }

    static func uuid(_ arguments: [String: JSONValue], _ name: String) throws -> UUID {
        guard let text = arguments[name]?.string, let id = UUID(uuidString: text) else {
            throw ToolError("\(name) must be an id such as 3f2b…-…, as list_interventions returns")
        }
        return id
    }
}

/// `search_properties`: the tenant's properties by city, type and price.
struct SearchPropertiesTool: AgentTool {
    let tenant: TenantID
    let database: Database

    var name: String { AgentToolName.searchProperties.rawValue }
    var description: String { "Search the agency's properties by city, type and price range; returns at most `limit` listings." }
    var parameters: ToolSchema {
        ToolSchema(properties: [
            "city": .init(.string, "City name, any case", maxLength: 100),
            "propertyType": .init(.string, "Kind of property", allowed: PropertyDraft.PropertyType.allCases.map(\.rawValue)),
            "minPrice": .init(.number, "Lowest price", minimum: 0),
            "maxPrice": .init(.number, "Highest price", minimum: 0),
            "limit": .init(.integer, "How many listings at most", minimum: 1, maximum: 50),
        ])
    }

    func call(_ arguments: [String: JSONValue], context: ToolContext) async throws -> String {
        let filter = PropertyFilter(
            city: arguments["city"]?.string, propertyType: arguments["propertyType"]?.string.flatMap(PropertyDraft.PropertyType.init),
            minPrice: arguments["minPrice"]?.number, maxPrice: arguments["maxPrice"]?.number)
        let limit = Int(arguments["limit"]?.number ?? 10)
        let rows = try await database.withTenant(tenant) { tx in try await tx.properties(filter, limit: limit, offset: 0) }
        return try TenantTools.json(["properties": rows])
    }
}

/// `get_intervention`: one intervention by id.
struct GetInterventionTool: AgentTool {
    let tenant: TenantID
    let database: Database

    var name: String { AgentToolName.getIntervention.rawValue }
    var description: String { "Read one intervention (field visit) by its id." }
    var parameters: ToolSchema {
        ToolSchema(properties: ["id": .init(.string, "The intervention's id", maxLength: 36)], required: ["id"])
    }

    func call(_ arguments: [String: JSONValue], context: ToolContext) async throws -> String {
        let id = try TenantTools.uuid(arguments, "id")
        guard let found = try await database.withTenant(tenant, { tx in try await tx.intervention(id) }) else {
            throw ToolError("no intervention \(id)")
        }
        return try TenantTools.json(["intervention": found])
    }
}

/// `list_interventions`: the tenant's interventions by schedule.
struct ListInterventionsTool: AgentTool {
    let tenant: TenantID
    let database: Database

    var name: String { AgentToolName.listInterventions.rawValue }
    var description: String { "List interventions (field visits) by schedule, soonest first." }
    var parameters: ToolSchema {
        ToolSchema(properties: ["limit": .init(.integer, "How many at most", minimum: 1, maximum: 50)])
    }

    func call(_ arguments: [String: JSONValue], context: ToolContext) async throws -> String {
        let limit = Int(arguments["limit"]?.number ?? 20)
        let rows = try await database.withTenant(tenant) { tx in try await tx.interventions(limit: limit, offset: 0) }
        return try TenantTools.json(["interventions": rows])
    }
}

/// `notify_intervention`: enqueues a webhook notification job about an intervention. The job
/// id is derived from the run and step, so a call repeated after a crash adds no second job.
struct NotifyInterventionTool: AgentTool {
    let tenant: TenantID
    let database: Database
    let notifications: Queue

    var name: String { AgentToolName.notifyIntervention.rawValue }
    var description: String { "Notify the customer's systems about an intervention event (sends a webhook)." }
    var parameters: ToolSchema {
        ToolSchema(
            properties: [
                "id": .init(.string, "The intervention's id", maxLength: 36),
                "event": .init(.string, "What happened", allowed: InterventionEvent.allCases.map(\.rawValue)),
            ],
            required: ["id", "event"])
    }

    func call(_ arguments: [String: JSONValue], context: ToolContext) async throws -> String {
        let id = try TenantTools.uuid(arguments, "id")
        guard let event = arguments["event"]?.string.flatMap(InterventionEvent.init(rawValue:)) else {
            throw ToolError("event must be one of \(InterventionEvent.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard try await database.withTenant(tenant, { tx in try await tx.intervention(id) }) != nil else {
            throw ToolError("no intervention \(id)")
        }
        let jobID = "agent-\(context.effectKey)"
        // The kind's own policy (attempts, back-off, retention), as every producer of it uses.
        let added = try await notifications.add(NotificationJob(tenantID: tenant, interventionID: id, event: event), jobID: jobID)
        return try TenantTools.json(["status": added.outcome == .added ? "queued" : "already queued", "jobId": added.id])
    }
}

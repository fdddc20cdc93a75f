import Domain
import Foundation
import Hummingbird
import Store

/// Metering. `/api/usage`: the tenant's model-token spending with the budgets that apply to it,
/// and its jobs finished per queue over the last days. `/api/admin/usage`: the same per tenant,
/// for platform admins. Jobs are counted from `public.job_results` (the rows kept), so a period
/// longer than their retention shows what is left.
extension APIHandler {
    func getUsage(_ input: Operations.GetUsage.Input) async throws -> Operations.GetUsage.Output {
        let tenant = try tenant()
        let since = Self.usageStart(days: input.query.days)
        let (usage, jobs) = try await database.withTenant(tenant) { tx in
            (try await tx.tokenUsage(), try await tx.jobUsage(since: since))
        }
        let (daily, monthly) = dependencies.options.tokenBudgets.applied(to: usage)
        let tokens = Components.Schemas.TokenUsage(
            tenantId: tenant.description, dayTokens: usage.dayTokens, monthTokens: usage.monthTokens, dailyBudget: daily,
            monthlyBudget: monthly)
        let queues: [Components.Schemas.QueueUsage] = jobs.map { record in Components.Schemas.QueueUsage(record) }
        let envelope = Components.Schemas.UsageEnvelope(usage: tokens, jobs: Components.Schemas.JobUsage(since: since, queues: queues))
        return .ok(.init(body: .json(envelope)))
    }

    func listUsage(_ input: Operations.ListUsage.Input) async throws -> Operations.ListUsage.Output {
        try requirePlatformAdmin("reading every tenant's usage")
        var tenant: TenantID?
        if let asked = input.query.tenant {
            guard let parsed = TenantID(uuidString: asked) else { throw invalid("tenant", "must be a UUID") }
            tenant = parsed
        }
        let since = Self.usageStart(days: input.query.days)
        let jobs = try await database.jobUsage(since: since, tenant: tenant)
        let tokens = try await database.tokenUsage(since: since, tenant: tenant)
        let byTenant = Dictionary(grouping: jobs, by: \.tenant)
        let tenants = Set(byTenant.keys).union(tokens.keys).sorted { $0.description < $1.description }
        let rows: [Components.Schemas.TenantUsage] = tenants.map { id in
            let queues: [Components.Schemas.QueueUsage] = (byTenant[id] ?? []).map { record in Components.Schemas.QueueUsage(record) }
            return Components.Schemas.TenantUsage(tenantId: id.description, tokens: tokens[id] ?? 0, queues: queues)
        }
        return .ok(.init(body: .json(Components.Schemas.UsageReport(since: since, tenants: rows))))
    }

    /// The start of a usage period of `days` whole days back from now (the document bounds it to
    /// 1…366; default 30).
    static func usageStart(days: Int?, now: Date = Date()) -> Date {
        let days = min(max(days ?? 30, 1), 366)
        return now.addingTimeInterval(-Double(days) * 86_400)
    }
}

extension Components.Schemas.QueueUsage {
    init(_ record: JobUsageRecord) {
        self.init(queue: record.queue, completed: record.completed, failed: record.failed, processingMs: record.processingMs)
    }
}

import Domain
import Foundation
import Store

/// `/api/usage`: the tenant's model-token spending and the budgets that apply to it.
extension APIHandler {
    func getUsage(_ input: Operations.GetUsage.Input) async throws -> Operations.GetUsage.Output {
        let tenant = try tenant()
        let usage = try await database.withTenant(tenant) { tx in try await tx.tokenUsage() }
        let (daily, monthly) = dependencies.options.tokenBudgets.applied(to: usage)
        return .ok(
            .init(
                body: .json(
                    .init(
                        usage: .init(
                            tenantId: tenant.description, dayTokens: usage.dayTokens, monthTokens: usage.monthTokens, dailyBudget: daily,
                            monthlyBudget: monthly)))))
    }
}

import Domain
import PostgresNIO

/// Model-token spending of the transaction's tenant, per UTC day.
extension TenantTransaction {
    /// Today's and this month's tokens (UTC) and the tenant's own budgets.
    public func tokenUsage() async throws(StoreError) -> TokenUsageRecord {
        let rows = try await query(
            """
            SELECT
                coalesce((SELECT sum(tokens) FROM agent_app.token_usage
                          WHERE day = (now() AT TIME ZONE 'UTC')::date), 0)::int8,
                coalesce((SELECT sum(tokens) FROM agent_app.token_usage
                          WHERE day >= date_trunc('month', now() AT TIME ZONE 'UTC')::date), 0)::int8,
                (SELECT daily_tokens FROM agent_app.token_budgets),
                (SELECT monthly_tokens FROM agent_app.token_budgets)
            """)
        guard let row = rows.first else { return TokenUsageRecord(dayTokens: 0, monthTokens: 0, dailyBudget: nil, monthlyBudget: nil) }
        do {
            let (day, month, daily, monthly) = try row.decode((Int, Int, Int?, Int?).self)
            return TokenUsageRecord(dayTokens: day, monthTokens: month, dailyBudget: daily, monthlyBudget: monthly)
        } catch {
            throw StoreError(error)
        }
    }

    /// Adds `tokens` to today's (UTC) usage.
    public func recordTokens(_ tokens: Int) async throws(StoreError) {
        guard tokens > 0 else { return }
        try await query(
            """
            INSERT INTO agent_app.token_usage (tenant_id, day, tokens)
            VALUES (\(tenant.rawValue), (now() AT TIME ZONE 'UTC')::date, \(tokens))
            ON CONFLICT (tenant_id, day) DO UPDATE SET tokens = agent_app.token_usage.tokens + EXCLUDED.tokens
            """)
    }
}

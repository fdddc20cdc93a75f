/// A tenant's model-token spending and budgets (`agent_app.token_usage`, `agent_app.token_budgets`).
public struct TokenUsageRecord: Sendable, Equatable {
    /// Tokens used on the current UTC day.
    public var dayTokens: Int
    /// Tokens used in the current UTC month.
    public var monthTokens: Int
    /// The tenant's own budgets; `nil` when it has none of that kind (the deployment default applies).
    public var dailyBudget: Int?
    public var monthlyBudget: Int?

    public init(dayTokens: Int, monthTokens: Int, dailyBudget: Int?, monthlyBudget: Int?) {
        self.dayTokens = dayTokens
        self.monthTokens = monthTokens
        self.dailyBudget = dailyBudget
        self.monthlyBudget = monthlyBudget
    }
}

/// Deployment-wide token budgets for tenants without budgets of their own
/// (`AGENT_DAILY_TOKEN_BUDGET`, `AGENT_MONTHLY_TOKEN_BUDGET`); `nil` is no limit.
public struct TokenBudgetDefaults: Sendable, Equatable {
    public var daily: Int?
    public var monthly: Int?

    public init(daily: Int? = nil, monthly: Int? = nil) {
        self.daily = daily
        self.monthly = monthly
    }

    /// The budgets that apply: the tenant's own, else these.
    public func applied(to usage: TokenUsageRecord) -> (daily: Int?, monthly: Int?) {
        (usage.dailyBudget ?? daily, usage.monthlyBudget ?? monthly)
    }

    /// Why no model call may start now, or `nil` when the budgets allow one.
    public func refusal(for usage: TokenUsageRecord) -> String? {
        let (daily, monthly) = applied(to: usage)
        if let daily, usage.dayTokens >= daily {
            return "the tenant's daily token budget (\(daily)) is used up (\(usage.dayTokens) today, UTC); it renews at midnight UTC"
        }
        if let monthly, usage.monthTokens >= monthly {
            return "the tenant's monthly token budget (\(monthly)) is used up (\(usage.monthTokens) this month, UTC)"
        }
        return nil
    }
}

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The payload of an agent run job (queue `agent-runs`).
public struct AgentRunJob: Codable, Sendable, Equatable {
    public static let name = "agent-run"

    public var tenantID: TenantID
    public var runID: UUID

    public init(tenantID: TenantID, runID: UUID) {
        self.tenantID = tenantID
        self.runID = runID
    }

    enum CodingKeys: String, CodingKey {
        case tenantID = "tenantId"
        case runID = "runId"
    }
}

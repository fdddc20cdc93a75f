#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The payload of one tool call of an agent run, run as a job of its own (queue `agent-tools`)
/// when a model response asks for several at once: a child of the run's job, which waits for
/// all of them and reads their results.
public struct AgentToolJob: Codable, Sendable, Equatable {
    public static let name = "agent-tool"

    public var tenantID: TenantID
    public var runID: UUID
    /// The journal step its result is recorded under (its effects are keyed by it).
    public var sequence: Int
    public var callID: String
    public var tool: String
    /// The model's arguments, JSON text as the model wrote them (checked when the call runs).
    public var arguments: String

    public init(tenantID: TenantID, runID: UUID, sequence: Int, callID: String, tool: String, arguments: String) {
        self.tenantID = tenantID
        self.runID = runID
        self.sequence = sequence
        self.callID = callID
        self.tool = tool
        self.arguments = arguments
    }

    /// The job id of a run's call at `sequence`: fixed, so asking twice adds it once.
    public static func jobID(run: UUID, sequence: Int) -> String { "tool-\(run.lowercasedText)-\(sequence)" }

    enum CodingKeys: String, CodingKey {
        case tenantID = "tenantId"
        case runID = "runId"
        case sequence, callID = "callId", tool, arguments
    }
}

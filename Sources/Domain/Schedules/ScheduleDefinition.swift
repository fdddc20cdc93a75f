#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A tenant's schedule as the tenant states it: a name, when it runs, and what each run does.
/// Stored in `public.job_schedules` (migration 0011); its scheduler in Redis is made from it.
public struct ScheduleDefinition: Sendable, Equatable {
    /// When the runs happen.
    public enum Cadence: Sendable, Equatable {
        /// Every so many milliseconds (at least ``ScheduleDefinition/minimumEvery``).
        case every(milliseconds: Int)
        /// At each time a five- or six-field cron pattern matches on the clocks of an IANA zone
        /// (UTC when nil).
        case cron(pattern: String, timeZone: String?)
    }

    /// What each run does.
    public enum Action: Sendable, Equatable {
        /// A new import of the source file of the stored import `sourceImportID`.
        case propertyImport(sourceImportID: UUID)
        /// A new run of the agent with `prompt`.
        case agentRun(agentID: UUID, prompt: String)
        /// The intervention's notification of `event` on `channels`.
        case notification(interventionID: UUID, event: InterventionEvent, channels: [String])

        public var kind: ScheduleKind {
            switch self {
            case .propertyImport: .propertyImport
            case .agentRun: .agentRun
            case .notification: .notification
            }
        }
    }

    public var name: String
    public var cadence: Cadence
    public var startAt: Date?
    public var endAt: Date?
    /// At most this many runs in all.
    public var limit: Int?
    /// The first run at once rather than at the cadence's first time.
    public var immediately: Bool
    public var action: Action

    /// The shortest period a tenant may ask for: one minute (a schedule is not a queue).
    public static let minimumEvery = 60_000
    /// The longest period: ten years.
    public static let maximumEvery = 315_360_000_000
    /// The most schedules one tenant may keep.
    public static let maximumPerTenant = 100

    public init(
        name: String, cadence: Cadence, startAt: Date? = nil, endAt: Date? = nil, limit: Int? = nil, immediately: Bool = false,
        action: Action
    ) {
        self.name = name
        self.cadence = cadence
        self.startAt = startAt
        self.endAt = endAt
        self.limit = limit
        self.immediately = immediately
        self.action = action
    }

    public var kind: ScheduleKind { action.kind }
}

/// The IANA time zone a cron schedule runs in (`Europe/Paris`), checked when it is made.
public struct ScheduleTimeZone: Sendable, Hashable, CustomStringConvertible {
    public let identifier: String
    let rules: ZoneRules

    public static let utc = ScheduleTimeZone(identifier: "UTC", rules: .utc)

    /// Refuses a name this system's time zone database does not know.
    public init(_ identifier: String) throws(CronPatternError) {
        guard let rules = ZoneRules(identifier: identifier) else {
            throw CronPatternError("'\(identifier.prefix(64))' is not an IANA time zone name (for example Europe/Paris or America/New_York)")
        }
        self.init(identifier: identifier, rules: rules)
    }

    private init(identifier: String, rules: ZoneRules) {
        self.identifier = identifier
        self.rules = rules
    }

    public var description: String { identifier }

    public static func == (lhs: ScheduleTimeZone, rhs: ScheduleTimeZone) -> Bool { lhs.identifier == rhs.identifier }
    public func hash(into hasher: inout Hasher) { hasher.combine(identifier) }
}

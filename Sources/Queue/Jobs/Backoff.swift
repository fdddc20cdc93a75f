import Foundation

/// How long a failed job waits before its next attempt.
///
/// Stored in the job's options as BullMQ stores it (`{"type":"fixed"|"exponential","delay":ms,"jitter":0…1}`),
/// so BullMQ workers running the job compute the same delays.
public struct Backoff: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case fixed, exponential
    }

    public var type: Kind
    /// Milliseconds: the fixed delay, or the first delay of the exponential series.
    public var delay: Int
    /// 0…1: each delay is shortened by a random fraction up to this much, spreading retries out.
    public var jitter: Double?

    public static func fixed(_ delay: Duration, jitter: Double? = nil) -> Backoff {
        Backoff(type: .fixed, delay: delay.milliseconds, jitter: jitter)
    }

    public static func exponential(_ delay: Duration, jitter: Double? = nil) -> Backoff {
        Backoff(type: .exponential, delay: delay.milliseconds, jitter: jitter)
    }

    public init(type: Kind, delay: Int, jitter: Double? = nil) {
        self.type = type
        self.delay = delay
        self.jitter = jitter
    }

    /// BullMQ also accepts a bare number of milliseconds, meaning a fixed delay.
    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let milliseconds = try? single.decode(Int.self) {
            self.init(type: .fixed, delay: milliseconds)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            type: (try? container.decode(Kind.self, forKey: .type)) ?? .fixed,
            delay: (try? container.decode(Int.self, forKey: .delay)) ?? 0,
            jitter: try? container.decode(Double.self, forKey: .jitter))
    }

    private enum CodingKeys: String, CodingKey { case type, delay, jitter }

    /// The delay before the next attempt, `attempt` being the number of attempts made so far
    /// (including the one that just failed): fixed `delay`, or `delay · 2^(attempt−1)`.
    public func delay(afterAttempt attempt: Int, random: Double = Double.random(in: 0..<1)) -> Int {
        var milliseconds: Double
        switch type {
        case .fixed:
            milliseconds = Double(delay)
        case .exponential:
            milliseconds = (pow(2, Double(max(1, attempt) - 1)) * Double(delay)).rounded()
        }
        if let jitter, jitter > 0, jitter.isFinite {
            milliseconds -= milliseconds * min(jitter, 1) * min(max(random, 0), 1)
        }
        // A job's options come from any producer: an exponent or delay that overflows waits the
        // longest delay, it does not trap.
        guard milliseconds.isFinite else { return Self.maximumDelay }
        return Int(min(max(0, milliseconds.rounded()), Double(Self.maximumDelay)))
    }
}

extension Backoff {
    /// The longest retry delay, a year in milliseconds.
    public static let maximumDelay = 365 * 86_400_000
}

extension Duration {
    /// Whole milliseconds, saturating at `Int.max` (seconds beyond 9.2e15 do not trap): the one
    /// conversion for the millisecond values Redis, BullMQ and our scripts use.
    public var milliseconds: Int {
        let seconds = Int(components.seconds)
        let fraction = Int(components.attoseconds / 1_000_000_000_000_000)
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return seconds < 0 ? Int.min : Int.max }
        let (total, carried) = product.addingReportingOverflow(fraction)
        return carried ? (fraction < 0 ? Int.min : Int.max) : total
    }
}

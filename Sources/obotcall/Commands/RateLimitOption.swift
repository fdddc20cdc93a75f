import ArgumentParser
import Queue

/// A rate limit written `MAX/DURATION`: `100/1s`, `20/500ms`, `600/1m` (at most 1,000,000 jobs per
/// 1 ms to 1 h), as `--rate-limit` takes it.
struct RateLimitOption: Sendable, Equatable {
    let max: Int
    let duration: Duration

    init(max: Int, duration: Duration) {
        self.max = max
        self.duration = duration
    }

    init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let max = Int(parts[0]), (1...1_000_000).contains(max) else {
            throw ValidationError("rate limit '\(text)' must be MAX/DURATION with MAX from 1 to 1000000, e.g. 100/1s")
        }
        let unit = parts[1]
        let (digits, scale): (Substring, Int) =
            unit.hasSuffix("ms")
            ? (unit.dropLast(2), 1) : unit.hasSuffix("s") ? (unit.dropLast(), 1_000) : unit.hasSuffix("m") ? (unit.dropLast(), 60_000) : ("", 0)
        guard scale > 0, let amount = Int(digits), amount > 0, amount <= 3_600_000 / scale else {
            throw ValidationError("rate limit '\(text)' needs a duration from 1ms to 1h written as 500ms, 1s or 1m")
        }
        self.init(max: max, duration: .milliseconds(amount * scale))
    }

    var description: String { "\(max)/\(duration.milliseconds)ms" }
}

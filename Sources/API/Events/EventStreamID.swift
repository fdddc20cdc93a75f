/// A Redis stream entry id (`1700000000000-0`), ordered as Redis orders them.
struct EventStreamID: Comparable, Sendable, CustomStringConvertible {
    let milliseconds: UInt64
    let sequence: UInt64

    /// `nil` unless `text` is two decimal numbers, each within 64 bits, joined by `-`.
    init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { ("0"..."9").contains($0) } }),
            let milliseconds = UInt64(parts[0]), let sequence = UInt64(parts[1])
        else { return nil }
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    var description: String { "\(milliseconds)-\(sequence)" }

    static func < (lhs: EventStreamID, rhs: EventStreamID) -> Bool {
        (lhs.milliseconds, lhs.sequence) < (rhs.milliseconds, rhs.sequence)
    }
}

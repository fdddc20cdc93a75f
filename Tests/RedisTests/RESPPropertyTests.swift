import NIOCore
import PropertyBased
import Testing
@testable import Redis

/// A reply tree, rendered to RESP, and what decoding it must give back.
indirect enum ReplyTree: Equatable, CustomStringConvertible {
    case simple(String), error(String), integer(Int), bulk([UInt8]), null, boolean(Bool)
    case array([ReplyTree]), map([(ReplyTree, ReplyTree)]), set([ReplyTree]), push([ReplyTree])

    static func == (lhs: ReplyTree, rhs: ReplyTree) -> Bool { lhs.description == rhs.description }

    var description: String { String(decoding: wire, as: UTF8.self) }

    var wire: [UInt8] {
        func aggregate(_ type: String, _ count: Int, _ parts: [ReplyTree]) -> [UInt8] {
            Array("\(type)\(count)\r\n".utf8) + parts.flatMap(\.wire)
        }
        switch self {
        case .simple(let text): return Array("+\(text)\r\n".utf8)
        case .error(let text): return Array("-\(text)\r\n".utf8)
        case .integer(let value): return Array(":\(value)\r\n".utf8)
        case .bulk(let bytes): return Array("$\(bytes.count)\r\n".utf8) + bytes + [13, 10]
        case .null: return Array("_\r\n".utf8)
        case .boolean(let value): return Array("#\(value ? "t" : "f")\r\n".utf8)
        case .array(let elements): return aggregate("*", elements.count, elements)
        case .set(let elements): return aggregate("~", elements.count, elements)
        case .push(let elements): return aggregate(">", elements.count, elements)
        case .map(let pairs): return aggregate("%", pairs.count, pairs.flatMap { [$0.0, $0.1] })
        }
    }

    /// Rebuilds a tree from a decoded token, to compare with the original.
    init(_ token: RESPToken) {
        switch token.value {
        case .simpleString(let bytes): self = .simple(String(buffer: bytes))
        case .simpleError(let bytes): self = .error(String(buffer: bytes))
        case .number(let value): self = .integer(value)
        case .bulkString(let bytes): self = .bulk(Array(bytes.readableBytesView))
        case .null: self = .null
        case .boolean(let value): self = .boolean(value)
        case .array(let elements): self = .array(elements.map(ReplyTree.init))
        case .set(let elements): self = .set(elements.map(ReplyTree.init))
        case .push(let elements): self = .push(elements.map(ReplyTree.init))
        case .map(let elements):
            let flat = elements.map(ReplyTree.init)
            self = .map(stride(from: 0, to: flat.count, by: 2).map { (flat[$0], flat[$0 + 1]) })
        default: self = .simple("unexpected \(token)")
        }
    }

    static func random(depth: Int, using rng: inout SplitMix64) -> ReplyTree {
        let scalarKinds = 6
        let kind = Int(rng.next() % UInt64(depth > 0 ? scalarKinds + 4 : scalarKinds))
        func text() -> String {
            let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789 _-:")
            return String((0..<Int(rng.next() % 12)).map { _ in letters[Int(rng.next() % UInt64(letters.count))] })
        }
        func children() -> [ReplyTree] {
            (0..<Int(rng.next() % 5)).map { _ in random(depth: depth - 1, using: &rng) }
        }
        switch kind {
        case 0: return .simple(text())
        case 1: return .error("ERR " + text())
        case 2: return .integer(Int(truncatingIfNeeded: rng.next()))
        case 3:
            // Any bytes, CR and LF included: bulk strings are length-prefixed.
            return .bulk((0..<Int(rng.next() % 40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        case 4: return .null
        case 5: return .boolean(rng.next() % 2 == 0)
        case 6: return .array(children())
        case 7: return .set(children())
        case 8: return .push(children())
        default:
            return .map(
                (0..<Int(rng.next() % 4)).map { _ in
                    (random(depth: depth - 1, using: &rng), random(depth: depth - 1, using: &rng))
                })
        }
    }
}

/// A small deterministic generator, so a failing seed reproduces.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct RESPPropertyTests {
    @Test func randomReplyTreesInRandomChunksRoundTrip() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix64(state: UInt64(seed))
            let trees = (0..<Int(1 + rng.next() % 6)).map { _ in ReplyTree.random(depth: 4, using: &rng) }
            let stream = trees.flatMap(\.wire)
            var chunks: [Int] = []
            var covered = 0
            while covered < stream.count {
                let size = Int(1 + rng.next() % 17)
                chunks.append(size)
                covered += size
            }
            do {
                let tokens = try decodeAll(stream, chunks: chunks)
                #expect(tokens.map(ReplyTree.init) == trees, "seed \(seed)")
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }

    @Test func randomGarbageNeverCrashesTheDecoder() async {
        await propertyCheck(count: 500, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix64(state: UInt64(seed))
            var bytes = ReplyTree.random(depth: 3, using: &rng).wire
            // Corrupt a few bytes of an otherwise valid frame.
            for _ in 0..<Int(1 + rng.next() % 4) where !bytes.isEmpty {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            // Either tokens, a wait for more bytes, or a parse error: never a trap.
            _ = (try? decodeAll(bytes, chunks: [Int(1 + rng.next() % 7)]))?.map(ReplyTree.init)
        }
    }
}

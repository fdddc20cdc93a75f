import Foundation
import Testing
@testable import Queue

/// The hand-written `opts` JSON says exactly what `JSONEncoder` said, for every shape of options.
@Suite struct JobOptionsJSONTests {
    static func encoderJSON(_ stored: StoredJobOptions) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(stored), as: UTF8.self)
    }

    static func parsed(_ text: String) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary)
    }

    @Test func matchesJSONEncoderForRandomOptions() throws {
        var generator = SystemRandomNumberGenerator()
        let keeps: [KeepJobs?] = [
            nil, .all, KeepJobs.none, .last(7), .age(seconds: 60, count: nil, limit: nil), .age(seconds: 5, count: 3, limit: 50),
        ]
        let ids: [String?] = [nil, "plain", "with \"quote\" and \\ slash", "tab\tnew\nline\r", "ctl\u{01}\u{1f}", "accents éà 日本 🚀"]
        for _ in 0..<500 {
            let options = JobOptions(
                jobID: ids.randomElement(using: &generator)!,
                delay: Bool.random(using: &generator) ? .milliseconds(Int.random(in: 0...100_000, using: &generator)) : nil,
                priority: Bool.random(using: &generator) ? Int.random(in: 0...2_097_151, using: &generator) : nil,
                lifo: Bool.random(using: &generator),
                attempts: Int.random(in: 1...100, using: &generator),
                backoff: [nil, .fixed(.seconds(1)), .exponential(.milliseconds(250), jitter: 0.2), .fixed(.zero, jitter: 1)]
                    .randomElement(using: &generator)!,
                removeOnComplete: keeps.randomElement(using: &generator)!,
                removeOnFail: keeps.randomElement(using: &generator)!,
                deduplication: Bool.random(using: &generator)
                    ? .init(
                        id: ids.compactMap { $0 }.randomElement(using: &generator)!, ttl: Bool.random(using: &generator) ? .seconds(3) : nil,
                        extend: Bool.random(using: &generator), replace: Bool.random(using: &generator))
                    : nil,
                keepLogs: Bool.random(using: &generator) ? Int.random(in: 0...1000, using: &generator) : nil,
                timeout: Bool.random(using: &generator) ? .seconds(Int.random(in: 1...600, using: &generator)) : nil)
            let stored = StoredJobOptions(options)
            let written = stored.json()
            let expected = try Self.encoderJSON(stored)
            // Byte for byte: true stays true (not 1), numbers and strings are written the same way.
            #expect(written == expected)
            #expect(try Self.parsed(written) == Self.parsed(expected), "\(written) vs \(expected)")
            // Read back, the options are the ones given.
            #expect(StoredJobOptions(json: written) == stored)
        }
    }

    @Test func textIsByteForByteTheEncoderText() throws {
        let stored = StoredJobOptions(
            JobOptions(
                jobID: "order-\"1\"", attempts: 5, backoff: .exponential(.seconds(2)),
                removeOnComplete: .age(seconds: 604_800, count: 10_000, limit: nil), removeOnFail: .last(100)))
        #expect(stored.json() == (try Self.encoderJSON(stored)))
        #expect(StoredJobOptions(JobOptions()).json() == #"{"attempts":1,"delay":0}"#)
        let flags = StoredJobOptions(
            JobOptions(
                lifo: true, removeOnComplete: KeepJobs.none, removeOnFail: .all, deduplication: .init(id: "d", extend: true, replace: true)))
        #expect(
            flags.json()
                == #"{"attempts":1,"de":{"extend":true,"id":"d","replace":true},"delay":0,"lifo":true,"removeOnComplete":true,"removeOnFail":false}"#)
    }

    @Test func escapesEveryControlCharacter() throws {
        let all = String(String.UnicodeScalarView((0..<0x20).compactMap(Unicode.Scalar.init))) + "\"\\/é"
        var text = ""
        JSONObjectWriter.appendQuoted(all, to: &text)
        let decoded = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) as? String
        #expect(decoded == all)
        #expect(!text.unicodeScalars.dropFirst().dropLast().contains { $0.value < 0x20 })
    }
}

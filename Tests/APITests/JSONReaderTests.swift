import Domain
import Testing
@testable import API

/// The contract check's JSON reader agrees with JSON on values, escapes and refusals.
struct JSONReaderTests {
    static func read(_ text: String) throws -> JSONValue { try JSONReader.parse(Array(text.utf8)) }

    @Test func valuesAndEscapes() throws {
        #expect(
            try Self.read(#"{"a":[1,-2.5e3,true,false,null],"b":"x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}"#)
                == .object([
                    "a": .array([.number(1), .number(-2500), .bool(true), .bool(false), .null]),
                    "b": .string("x\"\\/\u{8}\u{C}\n\r\té😀"),
                ]))
        #expect(try Self.read(#" "caf\u00E9 \ud800" "#) == .string("café \u{FFFD}"))
        #expect(try Self.read("1e400") == .number(.infinity))
        #expect(try Self.read(#"{"k":1,"k":2}"#) == .object(["k": .number(2)]))
    }

    @Test(arguments: [
        "", "{", "[1,]", #"{"a" 1}"#, "01", "1.", "-", "tru", #""\x""#, "\"a\u{1}b\"", "[] []", #""\u12""#,
        String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
    ])
    func malformedTextIsRefused(text: String) {
        #expect(throws: JSONScanner.Failure.self) { try Self.read(text) }
    }

    @Test func invalidUTF8IsRefused() {
        #expect(throws: JSONScanner.Failure.self) { try JSONReader.parse([0x22, 0xff, 0x22]) }
    }
}

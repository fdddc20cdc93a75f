import NIOCore
import Testing
@testable import Redis

/// Feeds `bytes` to a decoder in the given chunk sizes and returns every token it produced.
func decodeAll(_ bytes: [UInt8], chunks: [Int]? = nil, limits: RESPTokenDecoder.Limits = .init()) throws -> [RESPToken] {
    let processor = NIOSingleStepByteToMessageProcessor(RESPTokenDecoder(limits: limits))
    var tokens: [RESPToken] = []
    var offset = 0
    var sizes = chunks ?? [bytes.count]
    while offset < bytes.count {
        let size = sizes.isEmpty ? bytes.count - offset : max(1, min(sizes.removeFirst(), bytes.count - offset))
        try processor.process(buffer: ByteBuffer(bytes: bytes[offset..<(offset + size)])) { tokens.append($0) }
        offset += size
    }
    return tokens
}

func decodeOne(_ text: String) throws -> RESPToken {
    let tokens = try decodeAll(Array(text.utf8))
    try #require(tokens.count == 1)
    return tokens[0]
}

struct RESPTokenDecoderTests {
    @Test func scalarsOfBothProtocols() throws {
        #expect(try decodeOne("+OK\r\n").value == .simpleString(ByteBuffer(string: "OK")))
        #expect(try decodeOne("-ERR bad\r\n").value == .simpleError(ByteBuffer(string: "ERR bad")))
        #expect(try decodeOne(":-42\r\n").value == .number(-42))
        #expect(try decodeOne("$5\r\nhello\r\n").value == .bulkString(ByteBuffer(string: "hello")))
        #expect(try decodeOne("$0\r\n\r\n").value == .bulkString(ByteBuffer()))
        #expect(try decodeOne("$-1\r\n").value == .null)
        #expect(try decodeOne("*-1\r\n").value == .null)
        #expect(try decodeOne("_\r\n").value == .null)
        #expect(try decodeOne("#t\r\n").value == .boolean(true))
        #expect(try decodeOne("#f\r\n").value == .boolean(false))
        #expect(try decodeOne(",3.25\r\n").value == .double(3.25))
        #expect(try decodeOne(",inf\r\n").value == .double(.infinity))
        #expect(
            try decodeOne("(3492890328409238509324850943850943825024385\r\n").value
                == .bigNumber(ByteBuffer(string: "3492890328409238509324850943850943825024385")))
        #expect(try decodeOne("!21\r\nSYNTAX invalid syntax\r\n").value == .bulkError(ByteBuffer(string: "SYNTAX invalid syntax")))
        #expect(try decodeOne("=15\r\ntxt:Some string\r\n").value == .verbatimString(ByteBuffer(string: "txt:Some string")))
        #expect(try String(fromRESP: decodeOne("=15\r\ntxt:Some string\r\n")) == "Some string")
    }

    @Test func nestedAggregates() throws {
        let token = try decodeOne("*3\r\n:1\r\n*2\r\n$1\r\na\r\n_\r\n%1\r\n+k\r\n~2\r\n:1\r\n:2\r\n")
        guard case .array(let array) = token.value else { Issue.record("not an array"); return }
        let elements = Array(array)
        #expect(array.count == 3)
        #expect(elements[0].value == .number(1))
        #expect(try [String?](fromRESP: elements[1]) == ["a", nil])
        let map = try [String: [Int]](fromRESP: elements[2])
        #expect(map == ["k": [1, 2]])
        #expect(try decodeOne("*0\r\n").value == .array(RESPToken.Array(count: 0, elements: ByteBuffer())))
    }

    @Test func attributesAreSkippedToTheValueTheyAnnotate() throws {
        let token = try decodeOne("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2039123\r\n:9543892\r\n")
        #expect(try [Int](fromRESP: token) == [2_039_123, 9_543_892])
    }

    @Test func pipelinedRepliesComeOutOneByOne() throws {
        let tokens = try decodeAll(Array("+OK\r\n:1\r\n$3\r\nfoo\r\n*1\r\n$3\r\nbar\r\n".utf8))
        #expect(tokens.count == 4)
        #expect(try tokens.prefix(3).map { try String(fromRESP: $0) } == ["OK", "1", "foo"])
        #expect(try [String](fromRESP: tokens[3]) == ["bar"])
    }

    @Test func everySplitPointGivesTheSameTokens() throws {
        let stream = Array("*2\r\n$5\r\nhello\r\n%1\r\n+a\r\n*2\r\n:1\r\n_\r\n-ERR x\r\n$-1\r\n#t\r\n".utf8)
        let whole = try decodeAll(stream)
        #expect(whole.count == 4)
        for split in 1..<stream.count {
            #expect(try decodeAll(stream, chunks: [split]) == whole, "split at \(split)")
        }
        #expect(try decodeAll(stream, chunks: Array(repeating: 1, count: stream.count)) == whole)
    }

    @Test func bigBulkStringArrivingInPieces() throws {
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: 3 * 1024 * 1024)
        let stream = Array("$\(payload.count)\r\n".utf8) + payload + Array("\r\n".utf8)
        let tokens = try decodeAll(stream, chunks: Array(repeating: 65_536, count: stream.count / 65_536 + 1))
        #expect(tokens.count == 1)
        #expect(try ByteBuffer(fromRESP: tokens[0]).readableBytes == payload.count)
    }

    @Test func serverErrorsDecodeAsTypedErrors() throws {
        let token = try decodeOne("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")
        #expect(token.isError)
        let error = #expect(throws: RedisServerError.self) { try String(fromRESP: token) }
        #expect(error?.code == "WRONGTYPE")
        #expect(try decodeOne("-NOSCRIPT No matching script\r\n").isError)
    }

    @Test func typeMismatchIsADecodeError() throws {
        #expect(throws: RESPDecodeError.self) { try Int(fromRESP: decodeOne("$3\r\nabc\r\n")) }
        #expect(throws: RESPDecodeError.self) { try [String](fromRESP: decodeOne(":1\r\n")) }
    }

    @Test(arguments: [
        ("?what\r\n", RESPParsingError.Code.invalidTypeByte),
        ("$abc\r\n", .invalidLength),
        ("$-2\r\n", .invalidLength),
        ("*-5\r\n", .invalidLength),
        (":12a\r\n", .invalidInteger),
        (":99999999999999999999999\r\n", .invalidInteger),
        ("#x\r\n", .invalidBoolean),
        ("$3\r\nabcXY", .missingCRLF),
        ("+OK\rX", .missingCRLF),
        ("_x\r\n", .invalidLength),
    ])
    func malformedInputIsAParseError(input: String, code: RESPParsingError.Code) {
        let error = #expect(throws: RESPParsingError.self) { try decodeAll(Array(input.utf8)) }
        #expect(error?.code == code, "\(input.debugDescription)")
    }

    @Test func limitsBoundWhatTheServerCanMakeUsHold() {
        let limits = RESPTokenDecoder.Limits(maximumDepth: 3, maximumBulkLength: 10, maximumAggregateCount: 5, maximumLineLength: 16)
        #expect(throws: RESPParsingError(code: .tooDeep, offset: 12)) {
            try decodeAll(Array("*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n".utf8), limits: limits)
        }
        #expect(throws: RESPParsingError(code: .bulkTooLarge, offset: 1)) {
            try decodeAll(Array("$11\r\n".utf8), limits: limits)
        }
        #expect(throws: RESPParsingError(code: .aggregateTooLarge, offset: 1)) {
            try decodeAll(Array("*6\r\n".utf8), limits: limits)
        }
        #expect(throws: RESPParsingError(code: .lineTooLong, offset: 0)) {
            try decodeAll(Array("+0123456789012345678901234".utf8), limits: limits)
        }
        // At the limit is fine.
        #expect(throws: Never.self) { try decodeAll(Array("*1\r\n*1\r\n*1\r\n:1\r\n".utf8), limits: limits) }
    }

    @Test func incompleteInputWaitsForMore() throws {
        #expect(try decodeAll(Array("*2\r\n$3\r\nfoo\r\n".utf8)).isEmpty)
        #expect(try decodeAll(Array("$10\r\nabc".utf8)).isEmpty)
    }
}

public import NIOCore

/// Cuts the inbound byte stream into complete RESP2/RESP3 frames (``RESPToken``s).
///
/// The decoder only validates framing — type bytes, lengths, CRLFs, nesting — and hands out each
/// complete frame as a slice of the inbound buffer, without copying or building Swift values.
/// It is incremental: when a frame is split across reads it remembers how far it has validated
/// (offset and the counts of the open aggregates) and resumes there, so a large reply arriving in
/// many small reads is scanned once. Limits on nesting depth, bulk length, aggregate size and line
/// length bound what a misbehaving server can make the client hold.
public struct RESPTokenDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = RESPToken

    public struct Limits: Sendable, Equatable {
        /// Deepest nesting of arrays, maps, sets and pushes accepted.
        public var maximumDepth: Int
        /// Largest bulk string, in bytes (Redis's own limit is 512 MiB).
        public var maximumBulkLength: Int
        /// Most elements in one aggregate.
        public var maximumAggregateCount: Int
        /// Longest simple string, error or number line, in bytes.
        public var maximumLineLength: Int

        public init(
            maximumDepth: Int = 100,
            maximumBulkLength: Int = 512 * 1024 * 1024,
            maximumAggregateCount: Int = 1 << 24,
            maximumLineLength: Int = 64 * 1024
        ) {
            self.maximumDepth = maximumDepth
            self.maximumBulkLength = maximumBulkLength
            self.maximumAggregateCount = maximumAggregateCount
            self.maximumLineLength = maximumLineLength
        }
    }

    public let limits: Limits
    /// Bytes of the current frame already validated, relative to the buffer's reader index.
    private var validated = 0
    /// Elements still expected by each open aggregate, innermost last.
    private var open: [Int] = []

    public init(limits: Limits = Limits()) {
        self.limits = limits
        self.open.reserveCapacity(8)
    }

    public mutating func decode(buffer: inout ByteBuffer) throws(RESPParsingError) -> RESPToken? {
        while true {
            guard let length = try element(in: buffer, at: validated) else { return nil }
            validated += length.consumed
            if length.children > 0 {
                guard open.count < limits.maximumDepth else {
                    throw RESPParsingError(code: .tooDeep, offset: validated - length.consumed)
                }
                open.append(length.children)
                continue
            }
            // A complete scalar (or empty aggregate): close every aggregate it completes.
            while let last = open.last {
                if last > 1 {
                    open[open.count - 1] = last - 1
                    break
                }
                open.removeLast()
            }
            if open.isEmpty {
                let frame = buffer.readSlice(length: validated)!
                validated = 0
                return RESPToken(validated: frame)
            }
        }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws(RESPParsingError) -> RESPToken? {
        try decode(buffer: &buffer)
    }

    /// The element starting at `offset`: bytes it occupies (header and, for bulk types, payload)
    /// and how many child elements follow it; `nil` when more bytes are needed.
    private func element(in buffer: ByteBuffer, at offset: Int) throws(RESPParsingError) -> (consumed: Int, children: Int)? {
        let start = buffer.readerIndex + offset
        guard let type = buffer.getInteger(at: start, as: UInt8.self) else { return nil }
        guard let lineEnd = try lineEnd(in: buffer, from: start + 1, frameOffset: offset) else { return nil }
        let header = lineEnd + 2 - start
        let contentStart = start + 1
        let contentLength = lineEnd - contentStart

        switch type {
        case RESPTypeByte.simpleString, RESPTypeByte.simpleError, RESPTypeByte.bigNumber:
            return (header, 0)
        case RESPTypeByte.integer:
            guard RESPNumber.parseInteger(buffer, at: contentStart, length: contentLength) != nil else {
                throw RESPParsingError(code: .invalidInteger, offset: offset + 1)
            }
            return (header, 0)
        case RESPTypeByte.double:
            guard contentLength > 0 else { throw RESPParsingError(code: .invalidInteger, offset: offset + 1) }
            return (header, 0)
        case RESPTypeByte.null:
            guard contentLength == 0 else { throw RESPParsingError(code: .invalidLength, offset: offset + 1) }
            return (header, 0)
        case RESPTypeByte.boolean:
            let value = buffer.getInteger(at: contentStart, as: UInt8.self)
            guard contentLength == 1, value == UInt8(ascii: "t") || value == UInt8(ascii: "f") else {
                throw RESPParsingError(code: .invalidBoolean, offset: offset + 1)
            }
            return (header, 0)
        case RESPTypeByte.bulkString, RESPTypeByte.bulkError, RESPTypeByte.verbatimString:
            guard let length = RESPNumber.parseInteger(buffer, at: contentStart, length: contentLength) else {
                throw RESPParsingError(code: .invalidLength, offset: offset + 1)
            }
            if length == -1 && type == RESPTypeByte.bulkString { return (header, 0) }
            guard length >= 0 else { throw RESPParsingError(code: .invalidLength, offset: offset + 1) }
            guard length <= limits.maximumBulkLength else { throw RESPParsingError(code: .bulkTooLarge, offset: offset + 1) }
            let total = header + length + 2
            guard buffer.readableBytes - offset >= total else { return nil }
            let payloadEnd = start + header + length
            guard buffer.getInteger(at: payloadEnd, as: UInt16.self) == 0x0D0A else {
                throw RESPParsingError(code: .missingCRLF, offset: offset + header + length)
            }
            return (total, 0)
        case RESPTypeByte.array, RESPTypeByte.set, RESPTypeByte.push, RESPTypeByte.map, RESPTypeByte.attribute:
            guard let count = RESPNumber.parseInteger(buffer, at: contentStart, length: contentLength) else {
                throw RESPParsingError(code: .invalidLength, offset: offset + 1)
            }
            if count == -1 && type == RESPTypeByte.array { return (header, 0) }
            guard count >= 0 else { throw RESPParsingError(code: .invalidLength, offset: offset + 1) }
            guard count <= limits.maximumAggregateCount else {
                throw RESPParsingError(code: .aggregateTooLarge, offset: offset + 1)
            }
            switch type {
            case RESPTypeByte.map: return (header, count * 2)
            // An attribute map is followed by the value it annotates: both belong to the frame.
            case RESPTypeByte.attribute: return (header, count * 2 + 1)
            default: return (header, count)
            }
        default:
            throw RESPParsingError(code: .invalidTypeByte, offset: offset)
        }
    }

    /// Index of the `\r` of the CRLF ending the line that starts at `from`; `nil` if not yet received.
    private func lineEnd(in buffer: ByteBuffer, from: Int, frameOffset: Int) throws(RESPParsingError) -> Int? {
        let available = buffer.writerIndex - from
        let found = RESPNumber.carriageReturn(in: buffer, from: from, limit: limits.maximumLineLength + 2)
        guard let carriageReturn = found else {
            if available > limits.maximumLineLength + 1 {
                throw RESPParsingError(code: .lineTooLong, offset: frameOffset)
            }
            return nil
        }
        guard let next = buffer.getInteger(at: carriageReturn + 1, as: UInt8.self) else { return nil }
        guard next == RESPTypeByte.lineFeed else {
            throw RESPParsingError(code: .missingCRLF, offset: frameOffset)
        }
        return carriageReturn
    }
}

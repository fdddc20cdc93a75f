import NIOCore

/// Parsing of the ASCII numbers RESP uses for lengths, counts and integers, without allocating.
enum RESPNumber {
    /// A signed decimal of 1…20 characters fitting in `Int`; `nil` for anything else.
    static func parseInteger(_ buffer: ByteBuffer, at index: Int, length: Int) -> Int? {
        guard length > 0, length <= 20 else { return nil }
        return buffer.withUnsafeReadableBytes { bytes -> Int? in
            var position = index - buffer.readerIndex
            let end = position + length
            var negative = false
            if bytes[position] == UInt8(ascii: "-") {
                negative = true
                position += 1
            } else if bytes[position] == UInt8(ascii: "+") {
                position += 1
            }
            guard position < end else { return nil }
            var value = 0
            while position < end {
                let digit = Int(bytes[position]) &- 48
                guard digit >= 0 && digit <= 9 else { return nil }
                let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (next, overflow2) =
                    negative
                    ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
                guard !overflow1 && !overflow2 else { return nil }
                value = next
                position += 1
            }
            return value
        }
    }
}

extension RESPNumber {
    /// Absolute index of the first `\r` at or after absolute index `from`, looking at most `limit`
    /// bytes ahead; `nil` if none.
    static func carriageReturn(in buffer: ByteBuffer, from: Int, limit: Int = .max) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            let start = from - buffer.readerIndex
            guard start >= 0, start < bytes.count else { return nil }
            let end = start + min(bytes.count - start, limit)
            var index = start
            while index < end {
                if bytes[index] == RESPTypeByte.carriageReturn { return index + buffer.readerIndex }
                index += 1
            }
            return nil
        }
    }
}

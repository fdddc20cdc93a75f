import CSV
import Domain
import Foundation

/// Reads an import's rows one at a time, as canonical field name → text, from CSV (`,` or `;`,
/// header row required) or a JSON array of objects.
struct ImportRowReader {
    private enum Source {
        case csv(CSVReader, columns: [String?])
        case json([[String: Any]], next: Int)
    }

    private var source: Source
    /// Data rows the source holds (for progress; exact for JSON, counted lines for CSV).
    let estimatedRows: Int

    /// Reads the source in `file`: CSV is streamed from it, JSON is parsed whole. Refuses a source
    /// that cannot be read at all (no header, not a JSON array).
    init(format: String, file: URL) throws(ImportSourceError) {
        switch format {
        case "csv":
            guard let stream = try? FileInputStream(file: file), let head = try? Self.head(of: file) else {
                throw ImportSourceError("the CSV cannot be opened")
            }
            let delimiter = Self.delimiter(of: head)
            let reader: CSVReader
            do {
                reader = try CSVReader(stream: stream, hasHeaderRow: true, trimFields: false, delimiter: delimiter)
            } catch {
                throw ImportSourceError("the CSV cannot be read: \(error)")
            }
            guard let header = reader.headerRow, !header.isEmpty else { throw ImportSourceError("the CSV has no header row") }
            let columns = header.map { PropertyDraft.field(forColumn: $0) }
            guard columns.contains("external_ref") else {
                throw ImportSourceError("the CSV header names no external_ref column (found: \(header.joined(separator: ", ")))")
            }
            self.source = .csv(reader, columns: columns)
            self.estimatedRows = max(0, ((try? Self.lineCount(of: file)) ?? 0) - 1)
        case "json":
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: try Data(contentsOf: file))
            } catch {
                throw ImportSourceError("the JSON cannot be parsed: \(error.localizedDescription)")
            }
            guard let array = object as? [Any] else { throw ImportSourceError("the JSON must be an array of objects") }
            let rows = array.map { $0 as? [String: Any] ?? [:] }
            self.source = .json(rows, next: 0)
            self.estimatedRows = rows.count
        default:
            throw ImportSourceError("unknown import format '\(format)' (csv or json)")
        }
    }

    /// The next row's fields; `nil` at the end.
    mutating func next() throws(ImportSourceError) -> [String: String]? {
        switch source {
        case .csv(let reader, let columns):
            while true {
                guard let row = reader.next() else {
                    if let error = reader.error { throw ImportSourceError("the CSV is malformed: \(error)") }
                    return nil
                }
                // Blank lines are not rows.
                if row.allSatisfy({ $0.allSatisfy(\.isWhitespace) }) { continue }
                var fields: [String: String] = [:]
                for (index, value) in row.enumerated() where index < columns.count {
                    if let name = columns[index] { fields[name] = value }
                }
                return fields
            }
        case .json(let rows, let next):
            guard next < rows.count else { return nil }
            source = .json(rows, next: next + 1)
            var fields: [String: String] = [:]
            for (key, value) in rows[next] {
                guard let name = PropertyDraft.field(forColumn: key) else { continue }
                switch value {
                case let text as String: fields[name] = text
                case let number as NSNumber: fields[name] = number.stringValue
                case is NSNull: continue
                default: fields[name] = "\(value)"
                }
            }
            return fields
        }
    }

    /// `;` when the header line has more semicolons than commas (outside quotes), else `,`.
    static func delimiter(of data: Data) -> UnicodeScalar {
        var commas = 0, semicolons = 0, quoted = false
        for byte in data.prefix(64 * 1024) {
            if byte == UInt8(ascii: "\"") { quoted.toggle() }
            if quoted { continue }
            if byte == UInt8(ascii: "\n") { break }
            if byte == UInt8(ascii: ",") { commas += 1 }
            if byte == UInt8(ascii: ";") { semicolons += 1 }
        }
        return semicolons > commas ? ";" : ","
    }

    /// Non-empty lines of the file, counted in chunks.
    static func lineCount(of file: URL) throws -> Int {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var lines = 0
        var lastWasNewline = true
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            for byte in chunk {
                if byte == UInt8(ascii: "\n") {
                    if !lastWasNewline { lines += 1 }
                    lastWasNewline = true
                } else if byte != UInt8(ascii: "\r") {
                    lastWasNewline = false
                }
            }
        }
        return lastWasNewline ? lines : lines + 1
    }

    /// The first 64 KiB of the file (enough for the header line).
    static func head(of file: URL) throws -> Data {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        return try handle.read(upToCount: 64 * 1024) ?? Data()
    }
}

/// A source that cannot be read; the import fails without retry.
struct ImportSourceError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

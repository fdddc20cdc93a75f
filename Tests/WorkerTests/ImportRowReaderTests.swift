import Foundation
import Testing
import TestSupport
@testable import Worker

struct ImportRowReaderTests {
    func file(_ text: String) throws -> URL {
        let url = URL(fileURLWithPath: try TestEnvironment.scratchDirectory("csv") + "/source.csv")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func readsSemicolonCSVWithQuotedFields() throws {
        let url = try file("external_ref;title;price\nA-1;\"Flat; bright\";250000\nA-2;House;54,5\n\nA-3;Land;1\n")
        var reader = try ImportRowReader(format: "csv", file: url)
        #expect(reader.estimatedRows == 3)
        var rows: [[String: String]] = []
        while let row = try reader.next() { rows.append(row) }
        #expect(rows.map { $0["external_ref"] } == ["A-1", "A-2", "A-3"])
        #expect(rows[1]["price"] == "54,5")
        #expect(rows.first?["title"] == "Flat; bright")
    }

    @Test func delimiterIsDetectedOutsideQuotes() {
        #expect(ImportRowReader.delimiter(of: Data("a;b;c\n1,2;3".utf8)) == ";")
        #expect(ImportRowReader.delimiter(of: Data("a,\"x;y;z\",c\n".utf8)) == ",")
    }

    @Test func sourcesThatCannotBeReadAreRefused() throws {
        #expect(throws: ImportSourceError.self) { try ImportRowReader(format: "csv", file: try file("title;price\nA;1\n")) }
        #expect(throws: ImportSourceError.self) { try ImportRowReader(format: "json", file: try file("{\"a\":1}")) }
        #expect(throws: ImportSourceError.self) { try ImportRowReader(format: "xml", file: try file("<a/>")) }
    }
}

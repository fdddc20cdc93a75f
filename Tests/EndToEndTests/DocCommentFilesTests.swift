import Foundation
import Testing
import TestSupport

/// Comments in `Sources/` (Swift, Lua) and `migrations/` name only files the repository has: a
/// comment pointing at a document the reader cannot open is worse than none.
struct DocCommentFilesTests {
    /// Names in comments that are not files of this repository, on purpose: a dependency's
    /// package name, and file-name patterns.
    static let notFiles: Set<String> = ["CSV.swift", "NNNN_name.sql"]

    static func files(under directory: String) -> [String] {
        let root = URL(fileURLWithPath: directory)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { ($0 as? URL)?.path }.filter { !$0.contains("/.build/") && !$0.contains("/.data/") }
    }

    @Test func everyFileNamedInASourceCommentExists() throws {
        let root = TestEnvironment.repositoryRoot
        let names = Set(Self.files(under: root).map { URL(fileURLWithPath: $0).lastPathComponent })
        let pattern = try Regex(#"[A-Za-z0-9_+-]+\.(swift|md|lua|sql|yaml|yml|py|sh)\b"#)
        var missing: [String] = []
        let sources = Self.files(under: root + "/Sources").filter {
            ($0.hasSuffix(".swift") && !$0.contains("/Generated/")) || $0.hasSuffix(".lua")
        }
        for path in sources + Self.files(under: root + "/migrations") {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            // Swift comments start with //; Lua and SQL ones with --, and Lua's block comments
            // run over several lines, so every Lua line counts.
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where path.hasSuffix(".lua") || ["//", "--"].contains(where: line.trimmingCharacters(in: .whitespaces).hasPrefix) {
                for match in line.matches(of: pattern) {
                    let name = String(line[match.range])
                    if !names.contains(name) && !Self.notFiles.contains(name) {
                        missing.append("\(path.dropFirst(root.count + 1)):\(number + 1) names \(name)")
                    }
                }
            }
        }
        #expect(missing.isEmpty, "comments name files that are not in the repository:\n\(missing.joined(separator: "\n"))")
    }
}

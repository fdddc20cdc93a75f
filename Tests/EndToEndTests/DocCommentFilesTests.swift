import Foundation
import Testing
import TestSupport

/// Comments in `Sources/` name only files the repository has: a comment pointing at a document
/// the reader cannot open is worse than none.
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
        for path in Self.files(under: root + "/Sources") where path.hasSuffix(".swift") && !path.contains("/Generated/") {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
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

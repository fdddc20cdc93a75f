import Foundation
import Hummingbird

/// The admin dashboard's files (`Sources/API/Dashboard/Assets`, a resource of the API target),
/// read once per process and served from memory by ``DashboardRoutes``.
///
/// The directory is flat: a file's name is its whole address under `/admin/`. Each file keeps an
/// entity tag (a digest of its bytes) so a browser revalidates with one small request.
struct DashboardAssets: Sendable {
    struct File: Sendable {
        let bytes: ByteBuffer
        let contentType: String
        let entityTag: String
    }

    let files: [String: File]

    /// The page every dashboard address starts from.
    static let indexName = "index.html"

    init(files: [String: File]) {
        self.files = files
    }

    /// Reads every file of `directory` (not its sub-directories).
    init(directory: URL) throws {
        var files: [String: File] = [:]
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        for name in names where Self.isServable(name) {
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            files[name] = File(
                bytes: ByteBuffer(bytes: data), contentType: Self.contentType(of: name), entityTag: "\"\(Self.digest(data))\"")
        }
        guard files[Self.indexName] != nil else {
            throw APIConfigurationError("the dashboard's \(Self.indexName) is missing from \(directory.path)")
        }
        self.files = files
    }

    /// The files bundled with the API target.
    static func bundled() throws -> DashboardAssets {
        guard let directory = Bundle.module.url(forResource: "Assets", withExtension: nil) else {
            throw APIConfigurationError("the dashboard's assets are missing from the API's resource bundle")
        }
        return try DashboardAssets(directory: directory)
    }

    /// FNV-1a over the bytes, as 16 hex digits: enough to tell versions of one file apart.
    static func digest(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Names a request may ask for: letters, digits, `.`, `-`, `_`, not starting with a dot.
    static func isServable(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "."), name.utf8.count <= 100 else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "_")
        }
    }

    static func contentType(of name: String) -> String {
        switch name.split(separator: ".").last.map(String.init) ?? "" {
        case "html": return "text/html; charset=utf-8"
        case "js": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "json": return "application/json; charset=utf-8"
        default: return "application/octet-stream"
        }
    }
}

import Crypto
import Foundation

/// One numbered SQL file of `migrations/`, e.g. `0003_immo_app.sql`.
public struct Migration: Sendable, Equatable {
    /// The number before the first underscore; migrations apply in this order.
    public let version: Int
    /// The file name, recorded in the migrations table.
    public let name: String
    public let sql: String
    /// Hex SHA-256 of the file's bytes: an applied migration whose file changed is refused.
    public let checksum: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Loads every `NNNN_name.sql` file of `directory`, sorted by version.
    public static func load(directory: String) throws(MigrationError) -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw .directoryUnreadable(directory: directory, reason: "\(error)")
        }
        var migrations: [Migration] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            guard let underscore = name.firstIndex(of: "_"),
                let version = Int(name[..<underscore]), version > 0
            else {
                throw .badFileName(name)
            }
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path),
                let sql = String(data: data, encoding: .utf8)
            else {
                throw .directoryUnreadable(directory: directory, reason: "cannot read \(name) as UTF-8")
            }
            if let clash = migrations.first(where: { $0.version == version }) {
                throw .duplicateVersion(version, clash.name, name)
            }
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        return migrations.sorted { $0.version < $1.version }
    }
}

/// Why migrations could not be applied, in words an operator can act on.
public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case directoryUnreadable(directory: String, reason: String)
    case badFileName(String)
    case duplicateVersion(Int, String, String)
    case checksumMismatch(name: String, applied: String, onDisk: String)
    case appliedButMissing(name: String)
    case failed(name: String, statement: Int, reason: String)

    public var description: String {
        switch self {
        case let .directoryUnreadable(directory, reason):
            return "cannot read migrations from \(directory): \(reason)"
        case let .badFileName(name):
            return "migration file \(name) must be named NNNN_description.sql with NNNN a positive number"
        case let .duplicateVersion(version, first, second):
            return "migrations \(first) and \(second) share version \(version); renumber one of them"
        case let .checksumMismatch(name, applied, onDisk):
            return "migration \(name) was already applied but its file has changed since "
                + "(applied checksum \(applied.prefix(12))…, file now \(onDisk.prefix(12))…). "
                + "Applied migrations must not be edited: restore the file and add a new migration instead."
        case let .appliedButMissing(name):
            return "the database has migration \(name) applied but it is not in the migrations directory; "
                + "is this an older build of obotcall than the one that migrated the database?"
        case let .failed(name, statement, reason):
            return "migration \(name) failed at statement \(statement) and was rolled back: \(reason)"
        }
    }
}

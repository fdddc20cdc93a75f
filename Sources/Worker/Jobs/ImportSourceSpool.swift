import Domain
import Foundation
import Store

/// Copies an import's source from PostgreSQL to a temporary file in chunks, so the reader can
/// stream it: the worker holds one chunk at a time however large the upload.
struct ImportSourceSpool {
    let file: URL

    static let chunkSize = 1 << 20

    static func spool(importID: UUID, size: Int, tenant: TenantID, database: Database) async throws -> ImportSourceSpool {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("obotcall-import-\(UUID.random().lowercasedText).src")
        guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
            throw ImportSpoolError("cannot create the temporary file \(file.path)")
        }
        let spool = ImportSourceSpool(file: file)
        do {
            let handle = try FileHandle(forWritingTo: file)
            defer { try? handle.close() }
            var offset = 0
            while offset < size {
                let start = offset
                let chunk = try await database.withTenant(tenant) { tx in
                    try await tx.propertyImportSourceChunk(importID, offset: start, length: chunkSize)
                }
                if chunk.isEmpty { break }
                try handle.write(contentsOf: chunk)
                offset += chunk.count
            }
        } catch {
            spool.remove()
            throw error
        }
        return spool
    }

    func remove() {
        try? FileManager.default.removeItem(at: file)
    }
}

struct ImportSpoolError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

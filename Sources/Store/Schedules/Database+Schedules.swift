public import Domain
public import Foundation
import PostgresNIO

extension Database {
    /// Every tenant's schedules after `after` in id order, at most `limit` (1–10,000): the
    /// schedule reconciler's read (`public.schedules_page`, migration 0011).
    public func schedulesPage(after: UUID?, limit: Int) async throws(StoreError) -> [ScheduleRecord] {
        let limit = min(max(limit, 1), 10_000)
        return try await withTransaction { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: ScheduleRecord.columns) FROM public.schedules_page(\(after), \(limit)::integer)", logger: self.logger)
            var records: [ScheduleRecord] = []
            for try await row in rows { records.append(try ScheduleRecord(row: row)) }
            return records
        }
    }
}

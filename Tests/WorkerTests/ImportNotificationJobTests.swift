import Domain
import Foundation
import Jobs
import Logging
import PostgresNIO
import Queue
import Redis
import Store
import Testing
import TestSupport
@testable import Worker

/// "Tell me when this import finishes": the notification is the parent of the import's job (a
/// flow) and sends `import_finished` with the outcome once the import ends; run early (alone),
/// it waits for the import.
@Suite struct ImportNotificationJobTests {
    static func withWorker(
        _ fixture: NotificationJobTests.Fixture, _ body: @Sendable (_ notifications: Queue, _ imports: Queue) async throws -> Void
    ) async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: NotificationJobTests.logger)
        let prefix = "in\(UUID().uuidString.prefix(8).lowercased())"
        let service = WorkerService(
            configuration: WorkerConfiguration(
                queues: [QueueName.notifications: 2, QueueName.imports: 2], processor: .init(lockDuration: .seconds(10)),
                workerID: "import-notify-worker", queueOptions: QueueOptions(prefix: prefix)),
            redis: redis, database: fixture.database.runtime,
            handlers: [ImportNotificationHandler(policy: .init(allowPrivate: true)), PropertyImportHandler()], logger: NotificationJobTests.logger)
        let processors = try service.processors()
        let notifications = try #require(processors.first { $0.queue.name == QueueName.notifications }).queue
        let imports = try #require(processors.first { $0.queue.name == QueueName.imports }).queue
        try await NotificationJobTests.run(processors, redis: redis, queue: notifications, prefix: prefix) { _ in
            try await body(notifications, imports)
        }
    }

    static func storeImport(_ fixture: NotificationJobTests.Fixture, rows: String) async throws -> UUID {
        try await fixture.database.runtime.withTenant(fixture.tenant) { tx in
            try await tx.insertPropertyImport(format: "csv", source: Array(("external_ref,title,property_type\n" + rows).utf8), createdBy: nil)
        }
    }

    @Test func theTenantHearsWhenItsImportFinishes() async throws {
        try await NotificationJobTests.withFixture(statuses: [200]) { fixture in
            try await Self.withWorker(fixture) { notifications, imports in
                let importID = try await Self.storeImport(fixture, rows: "N-1,Flat,apartment\nN-2,,house\n")
                let added = try await notifications.addFlow(
                    FlowJob(
                        queue: notifications.name,
                        job: try ImportNotificationJob(tenantID: fixture.tenant, importID: importID).newJob(jobID: "done-1"),
                        children: [
                            FlowJob(
                                queue: imports.name, job: try PropertyImportJob(tenantID: fixture.tenant, importID: importID).newJob(),
                                onFailure: .ignore)
                        ]))
                #expect(try await NotificationJobTests.finished(notifications, added.jobID) == .completed)
                #expect(try await imports.state(of: added.children[0].jobID) == .completed)
                let delivery = try #require(fixture.receiver.deliveries.first)
                #expect(fixture.receiver.deliveries.count == 1)
                let body = try #require(try JSONSerialization.jsonObject(with: Data(delivery.body)) as? [String: Any])
                #expect(body["event"] as? String == "import_finished")
                let report = body["import"] as? [String: Any]
                #expect(report?["id"] as? String == importID.lowercasedText)
                #expect(report?["status"] as? String == "completed")
                #expect(report?["inserted"] as? Int == 1 && report?["rejected"] as? Int == 1)
                #expect(delivery.headers["idempotency-key"] == "\(QueueName.notifications):done-1")
                // Recorded against the import, not an intervention.
                let rows = try await fixture.database.runtime.withTenant(fixture.tenant) { tx in
                    try await tx.query(
                        "SELECT import_id, intervention_id IS NULL, status FROM inter_app.notifications WHERE job_id = 'done-1'"
                    ).map { try $0.decode((UUID, Bool, String).self) }
                }
                #expect(rows.count == 1 && rows.first?.0 == importID && rows.first?.1 == true && rows.first?.2 == "delivered")
            }
        }
    }

    @Test func aNotificationRunAloneWaitsForItsImport() async throws {
        try await NotificationJobTests.withFixture(statuses: [200]) { fixture in
            try await Self.withWorker(fixture) { notifications, imports in
                let importID = try await Self.storeImport(fixture, rows: "W-1,Flat,apartment\n")
                // The notification alone (as the outbox relay re-adds it), before its import.
                let notice = try await notifications.add(ImportNotificationJob(tenantID: fixture.tenant, importID: importID), jobID: "done-2")
                #expect(
                    try await TestSupport.eventually {
                        let job = try await notifications.job(notice.id)
                        let state = try await notifications.state(of: notice.id)
                        return (job?.attemptsStarted ?? 0) >= 1 && job?.attemptsMade == 0 && state == .delayed
                    })
                #expect(fixture.receiver.deliveries.isEmpty)
                // The import runs; the waiting notification then goes out.
                try await imports.add(PropertyImportJob(tenantID: fixture.tenant, importID: importID))
                #expect(try await NotificationJobTests.finished(notifications, notice.id) == .completed)
                #expect(fixture.receiver.deliveries.count == 1)
            }
        }
    }
}

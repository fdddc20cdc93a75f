import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Queue
import Store
import Testing
import TestSupport
@testable import API

/// `POST /api/property-imports?notify=webhook`: the import's job is added as the child of an
/// `import-notification` job (one flow), both promised in the outbox; another `notify` is refused.
struct ImportNotifyTests {
    @Test func anImportAskedToNotifyComesWithItsNotificationAsParent() async throws {
        try await APIHarness.with { harness in
            let member = try await APIHarness.token(tenant: harness.tenantA, role: "member")
            let csv = "external_ref,title,property_type\nA-1,Flat,apartment\n"
            try await harness.app().test(.router) { client in
                let accepted = try await PropertyRoutesTests.upload(
                    client, token: member, body: csv, contentType: "text/csv", query: "?notify=webhook")
                #expect(accepted.status == .accepted)
                let job = try #require((accepted.body["job"] as? [String: Any])?["id"] as? String)
                let notification = try #require((accepted.body["notification"] as? [String: Any])?["id"] as? String)
                #expect((accepted.body["notification"] as? [String: Any])?["queue"] as? String == QueueName.notifications)
                let notifications = harness.queue(QueueName.notifications), imports = harness.queue(QueueName.imports)
                #expect(try await notifications.state(of: notification) == .waitingChildren)
                #expect(try await notifications.pendingChildren(of: notification) == [imports.keys.job(job)])
                #expect(try await imports.job(job)?.parent?.id == notification)
                let outbox = try await OutboxTests.outbox(harness)
                #expect(Set(outbox.map(\.jobID)) == [job, notification])

                // Without notify: no notification; another value: refused by name.
                let plain = try await PropertyRoutesTests.upload(client, token: member, body: csv, contentType: "text/csv")
                #expect(plain.status == .accepted && plain.body["notification"] == nil)
                let refused = try await PropertyRoutesTests.upload(client, token: member, body: csv, contentType: "text/csv", query: "?notify=sms")
                #expect(refused.status == .badRequest)
                #expect((refused.body["error"] as? String)?.contains("notify") == true)
            }
        }
    }
}

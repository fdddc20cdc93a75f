import Domain
import Foundation
import HTTPTypes
import HummingbirdTesting
import Queue
import Testing
import TestSupport
@testable import API

struct InterventionRoutesTests {
    @Test func createReadListAndEnqueueANotification() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA)
            try await harness.app().test(.router) { client in
                let created = try await client.call(
                    .post, "/api/interventions", token: token,
                    json: """
                        {"reference":"INT-7","title":"Boiler service","scheduledAt":"2026-12-01T09:00:00Z","technician":"Ada"}
                        """)
                #expect(created.status == .created)
                let intervention = try #require(created.body["intervention"] as? [String: Any])
                let id = try #require(intervention["id"] as? String)
                #expect(intervention["status"] as? String == "scheduled")
                #expect(intervention["scheduledAt"] as? String == "2026-12-01T09:00:00Z")

                let read = try await client.call(.get, "/api/interventions/\(id)", token: token)
                #expect(read.status == .ok)
                #expect((read.body["intervention"] as? [String: Any])?["reference"] as? String == "INT-7")
                let list = try await client.call(.get, "/api/interventions?limit=10", token: token)
                #expect((list.body["interventions"] as? [Any])?.count == 1)

                let enqueued = try await client.call(.post, "/api/interventions/\(id)/notifications", token: token, json: #"{"event":"en_route"}"#)
                #expect(enqueued.status == .accepted)
                let job = try #require(enqueued.body["job"] as? [String: Any])
                let jobID = try #require(job["id"] as? String)
                #expect(job["queue"] as? String == QueueName.notifications)
                #expect(["waiting", "active", "completed"].contains(job["state"] as? String ?? ""))
                let stored = try #require(try await harness.queue(QueueName.notifications).job(jobID))
                #expect(stored.tenantID == harness.tenantA.description)
                #expect(try stored.decodeData(NotificationJob.self).event == .enRoute)
                #expect(stored.options.attempts == 5)

                let status = try await client.call(.get, "/api/jobs/\(QueueName.notifications)/\(jobID)", token: token)
                #expect(status.status == .ok)
                #expect((status.body["job"] as? [String: Any])?["name"] as? String == NotificationJob.name)
                let jobs = try await client.call(.get, "/api/jobs?queue=\(QueueName.notifications)", token: token)
                #expect((jobs.body["jobs"] as? [[String: Any]])?.map { $0["id"] as? String } == [jobID])

                let notifications = try await client.call(.get, "/api/interventions/\(id)/notifications", token: token)
                #expect(notifications.status == .ok)
                #expect((notifications.body["notifications"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test func anotherTenantSeesNothing() async throws {
        try await APIHarness.with { harness in
            let tokenA = try await APIHarness.token(tenant: harness.tenantA)
            let tokenB = try await APIHarness.token(tenant: harness.tenantB)
            try await harness.app().test(.router) { client in
                let created = try await client.call(.post, "/api/interventions", token: tokenA, json: #"{"reference":"A-1","title":"Tenant A only"}"#)
                let id = try #require((created.body["intervention"] as? [String: Any])?["id"] as? String)
                let enqueued = try await client.call(.post, "/api/interventions/\(id)/notifications", token: tokenA, json: #"{"event":"scheduled"}"#)
                let jobID = try #require((enqueued.body["job"] as? [String: Any])?["id"] as? String)

                #expect(try await client.call(.get, "/api/interventions/\(id)", token: tokenB).status == .notFound)
                #expect((try await client.call(.get, "/api/interventions", token: tokenB).body["interventions"] as? [Any])?.isEmpty == true)
                #expect(
                    try await client.call(.post, "/api/interventions/\(id)/notifications", token: tokenB, json: #"{"event":"scheduled"}"#).status
                        == .notFound)
                #expect(try await client.call(.get, "/api/interventions/\(id)/notifications", token: tokenB).status == .notFound)
                #expect(try await client.call(.get, "/api/jobs/\(QueueName.notifications)/\(jobID)", token: tokenB).status == .notFound)
                #expect(
                    (try await client.call(.get, "/api/jobs?queue=\(QueueName.notifications)", token: tokenB).body["jobs"] as? [Any])?.isEmpty == true
                )
                // Tenant B may reuse tenant A's reference: uniqueness is per tenant.
                #expect(
                    try await client.call(.post, "/api/interventions", token: tokenB, json: #"{"reference":"A-1","title":"Mine"}"#).status == .created
                )
            }
        }
    }

    @Test func viewersMayReadButNotWrite() async throws {
        try await APIHarness.with { harness in
            let viewer = try await APIHarness.token(tenant: harness.tenantA, role: "viewer")
            try await harness.app().test(.router) { client in
                #expect(try await client.call(.get, "/api/interventions", token: viewer).status == .ok)
                let refused = try await client.call(.post, "/api/interventions", token: viewer, json: #"{"reference":"V-1","title":"No"}"#)
                #expect(refused.status == .forbidden)
                #expect((refused.body["error"] as? String)?.contains("member") == true)
            }
        }
    }

    @Test(arguments: [
        (#"{"title":"No reference"}"#, "reference: is required"),
        (#"{"reference":"","title":"Empty"}"#, "reference: must contain a character other than spaces"),
        (#"{"reference":" \t ","title":"Blank"}"#, "reference: must contain a character other than spaces"),
        (#"{"reference":"R","title":"T","description":"a\u0000b"}"#, "description: must not contain NUL characters"),
        (#"{"reference":"R","title":"T","status":"exploded"}"#, "status: must be one of"),
        (#"{"reference":"R","title":42}"#, "title: must be a string"),
        (#"{"reference":"R","title":"T","scheduledAt":"tomorrow"}"#, "scheduledAt"),
        (#"{not json"#, "not valid JSON"),
    ])
    func invalidInputIsA400NamingTheField(json: String, message: String) async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA)
            try await harness.app().test(.router) { client in
                let (status, body) = try await client.call(.post, "/api/interventions", token: token, json: json)
                #expect(status == .badRequest)
                #expect((body["error"] as? String)?.contains(message) == true, "\(body)")
            }
        }
    }

    @Test func duplicateReferenceIsAConflictAndUnknownEventsAreRefused() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA)
            try await harness.app().test(.router) { client in
                let created = try await client.call(.post, "/api/interventions", token: token, json: #"{"reference":"D-1","title":"One"}"#)
                let id = try #require((created.body["intervention"] as? [String: Any])?["id"] as? String)
                let duplicate = try await client.call(.post, "/api/interventions", token: token, json: #"{"reference":"D-1","title":"Two"}"#)
                #expect(duplicate.status == .conflict)
                let badEvent = try await client.call(.post, "/api/interventions/\(id)/notifications", token: token, json: #"{"event":"exploded"}"#)
                #expect(badEvent.status == .badRequest)
                #expect((badEvent.body["error"] as? String)?.hasPrefix("event:") == true)
                let badChannel = try await client.call(
                    .post, "/api/interventions/\(id)/notifications", token: token, json: #"{"event":"scheduled","channels":["pigeon"]}"#)
                #expect(badChannel.status == .badRequest)
                #expect(try await client.call(.get, "/api/interventions/not-a-uuid", token: token).status == .badRequest)
                #expect(try await client.call(.get, "/api/jobs/no-such-queue/1", token: token).status == .notFound)
            }
        }
    }

    @Test func patchChangesOnlyTheGivenFieldsAndDeleteNeedsAdmin() async throws {
        try await APIHarness.with { harness in
            let admin = try await APIHarness.token(tenant: harness.tenantA)
            let member = try await APIHarness.token(tenant: harness.tenantA, role: "member")
            let outsider = try await APIHarness.token(tenant: harness.tenantB)
            try await harness.app().test(.router) { client in
                let created = try await client.call(
                    .post, "/api/interventions", token: member,
                    json: """
                        {"reference":"P-1","title":"Leak","technician":"Ada","scheduledAt":"2026-12-01T09:00:00Z"}
                        """)
                let id = try #require((created.body["intervention"] as? [String: Any])?["id"] as? String)
                let patched = try await client.call(
                    .patch, "/api/interventions/\(id)", token: member, json: #"{"status":"en_route","title":"Big leak"}"#)
                #expect(patched.status == .ok)
                let body = try #require(patched.body["intervention"] as? [String: Any])
                #expect(body["status"] as? String == "en_route")
                #expect(body["title"] as? String == "Big leak")
                #expect(body["technician"] as? String == "Ada")
                #expect(body["scheduledAt"] as? String == "2026-12-01T09:00:00Z")
                #expect(try await client.call(.patch, "/api/interventions/\(id)", token: member, json: #"{"status":"lost"}"#).status == .badRequest)
                #expect(try await client.call(.patch, "/api/interventions/\(id)", token: outsider, json: #"{"title":"Mine"}"#).status == .notFound)
                #expect(try await client.call(.delete, "/api/interventions/\(id)", token: outsider).status == .notFound)

                #expect(try await client.call(.delete, "/api/interventions/\(id)", token: member).status == .forbidden)
                #expect(try await client.call(.delete, "/api/interventions/\(id)", token: admin).status == .noContent)
                #expect(try await client.call(.get, "/api/interventions/\(id)", token: admin).status == .notFound)
                #expect(try await client.call(.delete, "/api/interventions/\(id)", token: admin).status == .notFound)
            }
        }
    }
}

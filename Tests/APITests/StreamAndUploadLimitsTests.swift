import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Queue
import Testing
import TestSupport
@testable import API

/// What one caller may hold or send: event streams (shared reader, caps, resume ids), uploads
/// (rows, shape), notification channels; and an import whose job failed for good.
struct StreamAndUploadLimitsTests {
    static func waitUntil(_ condition: @Sendable () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Streams of a queue share one reader; a user holds at most `eventStreamsPerUser` of them
    /// (429 beyond, another user is not affected), and a stream ends at its deadline.
    @Test func streamsShareAReaderAndAreCappedPerUser() async throws {
        try await APIHarness.with { harness in
            let user = UUID()
            let token = try await APIHarness.token(tenant: harness.tenantA, user: user)
            let other = try await APIHarness.token(tenant: harness.tenantA)
            let queue = harness.queue(QueueName.imports)
            let job = try await queue.add("probe", json: "{}", options: .init(tenantID: harness.tenantA.description))
            var dependencies = harness.dependencies
            dependencies.options = APIOptions(eventStreamsPerUser: 2, eventStreamMaxDuration: .seconds(3))
            let hub = JobEventHub(limits: .init(streamsPerUser: 2, streamsPerInstance: 100), logger: APIHarness.logger)
            dependencies.eventHub = hub
            let uri = "/api/jobs/\(QueueName.imports)/\(job.id)/events"
            try await Application(router: try APIApplication.router(dependencies), logger: APIHarness.logger).test(.router) { client in
                try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for _ in 0..<2 {
                        group.addTask { try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"]) { $0.status } }
                    }
                    #expect(try await Self.waitUntil { hub.openStreams == 2 })
                    #expect(hub.readers == 1)
                    let third = try await client.call(.get, uri, token: token)
                    #expect(third.status == .tooManyRequests)
                    #expect((third.body["error"] as? String)?.contains("2 event streams") == true)
                    group.addTask { try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(other)"]) { $0.status } }
                    #expect(try await Self.waitUntil { hub.openStreams == 3 })
                    #expect(hub.readers == 1)
                    // Every stream ends at its deadline although the job never finishes.
                    for try await status in group { #expect(status == .ok) }
                }
                #expect(try await Self.waitUntil { hub.openStreams == 0 })
            }
        }
    }

    @Test func resumeIDsPastTheEndAreRefused() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA)
            let queue = harness.queue(QueueName.imports)
            let job = try await queue.add("probe", json: "{}", options: .init(tenantID: harness.tenantA.description))
            let uri = "/api/jobs/\(QueueName.imports)/\(job.id)/events"
            try await harness.app().test(.router) { client in
                for id in ["18446744073709551615-0", "99999999999999999999-0", "\(Int(Date().timeIntervalSince1970 * 1000) + 86_400_000)-0"] {
                    let answer = try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)", .lastEventID: id]) {
                        ($0.status, String(buffer: $0.body))
                    }
                    #expect(answer.0 == .conflict, "\(id)")
                    #expect(answer.1.contains("past the end"))
                }
                let malformed = try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)", .lastEventID: "1-2-3"])
                {
                    $0.status
                }
                #expect(malformed == .badRequest)
            }
        }
    }

    @Test func channelsAreDistinctKnownChannels() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA)
            try await harness.app().test(.router) { client in
                let created = try await client.call(.post, "/api/interventions", token: token, json: #"{"reference":"CH-1","title":"Visit"}"#)
                let id = try #require((created.body["intervention"] as? [String: Any])?["id"] as? String)
                let uri = "/api/interventions/\(id)/notifications"
                let twice = try await client.call(.post, uri, token: token, json: #"{"event":"scheduled","channels":["webhook","webhook"]}"#)
                #expect(twice.status == .badRequest)
                #expect(twice.body["error"] as? String == "channels: must have at most 1 item")
                let many = "[" + Array(repeating: #""webhook""#, count: 10_000).joined(separator: ",") + "]"
                #expect(try await client.call(.post, uri, token: token, json: #"{"event":"scheduled","channels":\#(many)}"#).status == .badRequest)
                #expect(try await client.call(.post, uri, token: token, json: #"{"event":"scheduled","channels":[]}"#).status == .badRequest)
                #expect(try await client.call(.post, uri, token: token, json: #"{"event":"scheduled","channels":["webhook"]}"#).status == .accepted)
            }
        }
    }

    static func upload(_ client: some TestClientProtocol, token: String, type: String, _ body: String) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(
            uri: "/api/property-imports", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: type],
            body: ByteBuffer(string: body)
        ) { ($0.status, String(buffer: $0.body)) }
    }

    @Test func uploadsAreCheckedBeforeTheyAreStored() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA, role: "member")
            let app = try harness.app(options: APIOptions(maxImportRows: 3))
            try await app.test(.router) { client in
                let rows = "external_ref,title,property_type\nA,a,house\nB,b,house\nC,c,house\n"
                #expect(try await Self.upload(client, token: token, type: "text/csv", rows).0 == .accepted)
                let over = try await Self.upload(client, token: token, type: "text/csv", rows + "D,d,house\n")
                #expect(over.0 == .contentTooLarge)
                #expect(over.1.contains("more than 3 rows"))
                let quoted = "\u{FEFF}\"Reference\";title\n\"X\n1\";two lines in one cell\n"
                #expect(try await Self.upload(client, token: token, type: "text/csv; charset=utf-8", quoted).0 == .accepted)
                let headless = try await Self.upload(client, token: token, type: "text/csv", "title,type\nA,house\n")
                #expect(headless.0 == .badRequest)
                #expect(headless.1.contains("names no external_ref column"))
                #expect(
                    try await Self.upload(client, token: token, type: "application/json", #"[{"ref":"A"},{"ref":"B"},{"ref":"C"}]"#).0 == .accepted)
                let bad: [(String, String)] = [
                    (#"[{"ref":"A"},{"ref":"B"},{"ref":"C"},{"ref":"D"}]"#, "more than 3 rows"),
                    (#"[]"#, "non-empty array of objects"), (#"[1]"#, "non-empty array of objects"), (#"{"ref":"A"}"#, "non-empty array"),
                    (#"[{"ref":"A"}"#, "not valid JSON"), (#"[{"ref":"A"}] x"#, "not valid JSON"), (#"[{"ref":"A\u0"}]"#, "not valid JSON"),
                    (String(repeating: "[", count: 100), "non-empty array of objects"),
                    (#"[{"a":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}]", "nested deeper than 64"),
                ]
                for (body, message) in bad {
                    let answer = try await Self.upload(client, token: token, type: "application/json", body)
                    #expect(answer.0 == (message.contains("rows") ? .contentTooLarge : .badRequest), "\(body)")
                    #expect(answer.1.contains(message), "\(body): \(answer.1)")
                }
                #expect(try await Self.upload(client, token: token, type: "text/plain", rows).0 == .unsupportedMediaType)
            }
        }
    }

    /// The import's job failed for good without the import being told (its worker died on the
    /// last attempt): reading the import ends it failed with the job's reason.
    @Test func anImportWhoseJobFailedIsFailedWhenRead() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA, role: "member")
            try await harness.app().test(.router) { client in
                let (status, body) = try await Self.upload(client, token: token, type: "text/csv", "ref,title,type\nA,a,house\n")
                #expect(status == .accepted)
                let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
                let id = try #require((object["import"] as? [String: Any])?["id"] as? String)
                let queue = harness.queue(QueueName.imports)
                let job = try #require(try await queue.fetch(FetchOptions(token: "t", lockDuration: .seconds(30))).job)
                _ = try await queue.fail(job, token: "t", reason: "the worker was lost", unrecoverable: true)
                let read = try await client.call(.get, "/api/property-imports/\(id)", token: token)
                let record = try #require(read.body["import"] as? [String: Any])
                #expect(record["status"] as? String == "failed")
                #expect((record["error"] as? String)?.contains("the worker was lost") == true)
            }
        }
    }
}

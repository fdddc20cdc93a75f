import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Queue
import Testing
import TestSupport
@testable import API

/// `GET /api/jobs/:queue/:id/events` in process; the live path (stream open, then a worker runs
/// the job) is covered end to end in `ImportThroughAPITests`.
struct JobEventsTests {
    /// `event` names and `data` objects of an SSE body.
    static func frames(_ body: String) -> [(event: String, data: [String: Any])] {
        body.components(separatedBy: "\n\n").compactMap { frame in
            let lines = frame.split(separator: "\n")
            guard let event = lines.first(where: { $0.hasPrefix("event: ") })?.dropFirst(7) else { return nil }
            let data = lines.first { $0.hasPrefix("data: ") }.map { Data($0.dropFirst(6).utf8) } ?? Data()
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            return (String(event), object)
        }
    }

    @Test func replaysProgressThenCompletedAfterLastEventIDAndEnds() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA)
            let queue = harness.queue(QueueName.imports)
            let added = try await queue.add("probe", json: "{}", options: .init(tenantID: harness.tenantA.description))
            let start = try await queue.lastEventID()
            let job = try #require(try await queue.fetch(FetchOptions(token: "t", lockDuration: .seconds(30))).job)
            try await queue.updateProgress(job.id, ["percent": 50])
            _ = try await queue.complete(job, token: "t", returnValue: #"{"rows":3}"#)

            try await harness.app().test(.router) { client in
                let headers: HTTPFields = [.authorization: "Bearer \(token)", .lastEventID: start]
                let (status, type, body) = try await client.execute(
                    uri: "/api/jobs/\(QueueName.imports)/\(added.id)/events", method: .get, headers: headers
                ) { ($0.status, $0.headers[.contentType], String(buffer: $0.body)) }
                #expect(status == .ok)
                #expect(type?.hasPrefix("text/event-stream") == true)
                let frames = Self.frames(body)
                #expect(frames.map(\.event) == ["active", "progress", "completed"], "\(body)")
                #expect((frames[1].data["progress"] as? [String: Any])?["percent"] as? Int == 50)
                #expect((frames[2].data["returnValue"] as? [String: Any])?["rows"] as? Int == 3)
                #expect(body.contains("id: "))

                // Connecting after the end: the snapshot says so and the stream closes at once.
                let late = try await client.execute(
                    uri: "/api/jobs/\(QueueName.imports)/\(added.id)/events", method: .get, headers: [.authorization: "Bearer \(token)"]
                ) { String(buffer: $0.body) }
                let lateFrames = Self.frames(late)
                #expect(lateFrames.map(\.event) == ["state"])
                #expect(lateFrames.first?.data["state"] as? String == "completed")
            }
        }
    }

    /// Cancelling a running job ends its stream with `failed`, reason `cancelled`; a job removed
    /// before it started is gone, and so is its stream (404).
    @Test func aCancelledJobsStreamEndsWithItsEvent() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA, role: "member")
            let queue = harness.queue(QueueName.imports)
            let tenant = harness.tenantA.description
            let running = try await queue.add("probe", json: "{}", options: .init(tenantID: tenant))
            let waiting = try await queue.add("probe", json: "{}", options: .init(tenantID: tenant))
            let start = try await queue.lastEventID()
            let job = try #require(try await queue.fetch(FetchOptions(token: "t", lockDuration: .seconds(30))).job)
            #expect(job.id == running.id)
            try await harness.app().test(.router) { client in
                let cancel = { (id: String) in "/api/jobs/\(QueueName.imports)/\(id)/cancel" }
                #expect(try await client.call(.post, cancel(waiting.id), token: token).status == .ok)
                #expect(try await client.call(.post, cancel(running.id), token: token).status == .accepted)
                // What the running job's worker does when it sees the flag.
                _ = try await queue.fail(job, token: "t", reason: "cancelled", unrecoverable: true)
                let headers: HTTPFields = [.authorization: "Bearer \(token)", .lastEventID: start]
                let body = try await client.execute(
                    uri: "/api/jobs/\(QueueName.imports)/\(running.id)/events", method: .get, headers: headers
                ) { String(buffer: $0.body) }
                let frames = Self.frames(body)
                #expect(frames.map(\.event) == ["active", "failed"], "\(body)")
                #expect(frames.last?.data["failedReason"] as? String == "cancelled")
                let gone = try await client.execute(
                    uri: "/api/jobs/\(QueueName.imports)/\(waiting.id)/events", method: .get, headers: headers
                ) { $0.status }
                #expect(gone == .notFound)
            }
        }
    }

    @Test func anotherTenantsJobHasNoStreamAndBadResumeIdsAre400() async throws {
        try await APIHarness.with { harness in
            let tokenA = try await APIHarness.token(tenant: harness.tenantA)
            let tokenB = try await APIHarness.token(tenant: harness.tenantB)
            let queue = harness.queue(QueueName.imports)
            let added = try await queue.add("probe", json: "{}", options: .init(tenantID: harness.tenantA.description))
            try await harness.app().test(.router) { client in
                let uri = "/api/jobs/\(QueueName.imports)/\(added.id)/events"
                #expect(try await client.call(.get, uri, token: tokenB).status == .notFound)
                let bad = try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(tokenA)", .lastEventID: "x\ny"]) {
                    $0.status
                }
                #expect(bad == .badRequest)
            }
        }
    }
}

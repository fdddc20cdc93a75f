import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Jobs
import Queue
import Store
import Testing
import TestSupport
@testable import API

/// `POST /api/jobs/{queue}/{id}/cancel`: members cancel their tenant's jobs, platform admins any;
/// another tenant's job is 404, a finished one 409, a viewer 403.
struct JobCancelRoutesTests {
    @Test func membersCancelTheirOwnJobsOnly() async throws {
        try await APIHarness.with { harness in
            let member = try await APIHarness.token(tenant: harness.tenantA, role: "member")
            let viewer = try await APIHarness.token(tenant: harness.tenantA, role: "viewer")
            let outsider = try await APIHarness.token(tenant: harness.tenantB)
            let platform = try await APIHarness.token(tenant: nil, role: nil, serviceRole: true)
            let queue = harness.queue(QueueName.imports)
            let tenantA = harness.tenantA.description
            let waiting = try await queue.add("probe", json: "{}", options: .init(tenantID: tenantA)).id
            let delayed = try await queue.add("probe", json: "{}", options: .init(delay: .seconds(60), tenantID: tenantA)).id
            let running = try await queue.add("probe", json: "{}", options: .init(tenantID: tenantA)).id
            try await harness.app().test(.router) { client in
                let path = { (id: String) in "/api/jobs/\(QueueName.imports)/\(id)/cancel" }
                // Another tenant, and a viewer, cannot.
                #expect(try await client.call(.post, path(waiting), token: outsider).status == .notFound)
                #expect(try await client.call(.post, path(waiting), token: viewer).status == .forbidden)
                #expect(try await queue.state(of: waiting) == .waiting)

                let removed = try await client.call(.post, path(waiting), token: member)
                #expect(removed.status == .ok)
                let body = removed.body["cancellation"] as? [String: Any]
                #expect(body?["outcome"] as? String == "removed")
                #expect(body?["previousState"] as? String == "waiting")
                #expect(try await queue.job(waiting) == nil)
                // Its result row says so, which also keeps the outbox relay from adding it again.
                let result = try await harness.database.runtime.withTenant(harness.tenantA) { tx in
                    try await tx.jobResult(queue: QueueName.imports, jobID: waiting)
                }
                #expect(result?.state == .failed && result?.error == "cancelled")
                #expect(try await client.call(.post, path(waiting), token: member).status == .notFound)

                // A platform admin may cancel any tenant's job.
                #expect(try await client.call(.post, path(delayed), token: platform).status == .ok)

                // Running: flagged, answered 202.
                let taken = try #require(try await queue.fetch(FetchOptions(token: "w", lockDuration: .seconds(30))).job)
                #expect(taken.id == running)
                let requested = try await client.call(.post, path(running), token: member)
                #expect(requested.status == .accepted)
                #expect((requested.body["cancellation"] as? [String: Any])?["outcome"] as? String == "requested")
                #expect(try await queue.job(running)?.cancelRequested == true)

                // Finished: 409.
                _ = try await queue.fail(taken, token: "w", reason: "cancelled", unrecoverable: true)
                #expect(try await client.call(.post, path(running), token: member).status == .conflict)
                #expect(try await client.call(.post, "/api/jobs/\(QueueName.imports)/nope/cancel", token: platform).status == .notFound)
            }
        }
    }

    @Test func anImportCancelledBeforeItStartsEndsFailed() async throws {
        try await APIHarness.with { harness in
            let member = try await APIHarness.token(tenant: harness.tenantA, role: "member")
            let queue = harness.queue(QueueName.imports)
            let importID = UUID()
            let jobID = "import-\(importID.lowercasedText)"
            try await harness.database.runtime.withTenant(harness.tenantA) { tx in
                try await tx.insertPropertyImport(
                    id: importID, format: "csv", source: Array("external_ref,title,property_type\nA,B,house\n".utf8), createdBy: nil)
                try await tx.setImportJob(importID, jobID: jobID)
            }
            try await queue.add(PropertyImportJob(tenantID: harness.tenantA, importID: importID), jobID: jobID)
            try await harness.app().test(.router) { client in
                #expect(try await client.call(.post, "/api/jobs/\(QueueName.imports)/\(jobID)/cancel", token: member).status == .ok)
                let seen = try await client.call(.get, "/api/property-imports/\(importID.lowercasedText)", token: member)
                let record = seen.body["import"] as? [String: Any]
                #expect(record?["status"] as? String == "failed")
                #expect(record?["error"] as? String == "cancelled")
            }
        }
    }
}

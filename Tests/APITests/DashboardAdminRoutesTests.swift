import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Queue
import Redis
import Store
import Testing
import TestSupport
@testable import API

/// The admin dashboard's API: the session, a job's page and live events, promote, bulk actions,
/// per-minute metrics, the job search, Redis's memory, and the listings' `tenant` filter and
/// `order`. A tenant's users read their own tenant (viewers included), its admins act on it;
/// another tenant's jobs and rows do not exist for them. Platform admins see and act on all.
struct DashboardAdminRoutesTests {
    static let imports = QueueName.imports
    static let base = "/api/admin/queues/\(QueueName.imports)"

    @Test func theSessionSaysWhoActsAndWhoOnlyReads() async throws {
        try await APIHarness.with { harness in
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            let adminA = try await APIHarness.token(tenant: harness.tenantA)
            let ownerB = try await APIHarness.token(tenant: harness.tenantB, role: "owner")
            let viewerA = try await APIHarness.token(tenant: harness.tenantA, role: "viewer")
            let memberB = try await APIHarness.token(tenant: harness.tenantB, role: "member")
            try await harness.app().test(.router) { client in
                let all = try await client.call(.get, "/api/admin/session", token: platform)
                #expect(all.status == .ok, "\(all.body)")
                #expect(all.body["platformAdmin"] as? Bool == true)
                #expect(all.body["role"] as? String == "platform")
                #expect(all.body["readOnly"] as? Bool == false)
                #expect(all.body["tenantId"] == nil)

                // Each tenant's users get their own tenant, whichever asks.
                let cases: [(token: String, tenant: TenantID, role: String, readOnly: Bool)] = [
                    (adminA, harness.tenantA, "admin", false), (ownerB, harness.tenantB, "owner", false),
                    (viewerA, harness.tenantA, "viewer", true), (memberB, harness.tenantB, "member", true),
                ]
                for expected in cases {
                    let session = try await client.call(.get, "/api/admin/session", token: expected.token)
                    #expect(session.status == .ok, "\(expected.role)")
                    #expect(session.body["platformAdmin"] as? Bool == false)
                    #expect(session.body["tenantId"] as? String == expected.tenant.description)
                    #expect(session.body["role"] as? String == expected.role)
                    #expect(session.body["readOnly"] as? Bool == expected.readOnly, "\(expected.role)")
                }
                let anonymous = try await client.call(.get, "/api/admin/session", token: nil)
                #expect(anonymous.status == .unauthorized)
            }
        }
    }

    @Test func viewersAndMembersReadTheirOwnTenantButMayNotAct() async throws {
        try await APIHarness.with { harness in
            let queue = harness.queue(Self.imports)
            let failedA = try await AdminRoutesTests.job(queue, tenant: harness.tenantA, fail: true)
            let failedB = try await AdminRoutesTests.job(queue, tenant: harness.tenantB, fail: true)
            let delayedA = try await Self.delayed(queue, tenant: harness.tenantA)
            try await Self.record(harness, harness.tenantA, [Self.result("r-a", error: "upstream timeout")])
            try await Self.record(harness, harness.tenantB, [Self.result("r-b", error: "upstream timeout")])
            let viewerA = try await APIHarness.token(tenant: harness.tenantA, role: "viewer")
            let memberA = try await APIHarness.token(tenant: harness.tenantA, role: "member")
            try await harness.app().test(.router) { client in
                let summary = try await client.call(.get, "/api/admin/queues", token: viewerA)
                #expect(summary.status == .ok, "\(summary.body)")
                let counts = Self.summary(summary.body, Self.imports)?["counts"] as? [String: Int]
                #expect(counts?["failed"] == 1)
                #expect(counts?["delayed"] == 1)

                let failed = try await client.call(.get, "\(Self.base)/jobs?state=failed", token: viewerA)
                #expect(failed.status == .ok)
                #expect(Self.ids(failed.body["jobs"]) == [failedA])
                let own = try await client.call(.get, "\(Self.base)/jobs/\(failedA)", token: viewerA)
                #expect(own.status == .ok)
                #expect((own.body["job"] as? [String: Any])?["id"] as? String == failedA)
                let other = try await client.call(.get, "\(Self.base)/jobs/\(failedB)", token: viewerA)
                #expect(other.status == .notFound)
                let metrics = try await client.call(.get, "\(Self.base)/metrics?minutes=5", token: viewerA)
                #expect(metrics.status == .ok, "\(metrics.body)")
                #expect((metrics.body["completed"] as? [Int])?.count == 5)
                let found = try await client.call(.get, "/api/admin/jobs/search?text=timeout", token: viewerA)
                #expect(found.status == .ok, "\(found.body)")
                #expect(Self.resultIDs(found.body) == ["r-a"])
                // The fair-queue listing is a read too (not fair here: no tenants).
                let tenants = try await client.call(.get, "\(Self.base)/tenants", token: viewerA)
                #expect(tenants.status == .ok)

                // Every action needs the admin role.
                let bulk = #"{"action":"retry","ids":["\#(failedA)"]}"#
                let actions: [(method: HTTPRequest.Method, path: String, json: String?)] = [
                    (.post, "\(Self.base)/jobs/\(failedA)/retry", nil),
                    (.post, "\(Self.base)/jobs/\(delayedA)/promote", nil),
                    (.delete, "\(Self.base)/jobs/\(failedA)", nil),
                    (.post, "\(Self.base)/bulk", bulk),
                    (.post, "\(Self.base)/retry-failed", nil),
                ]
                for token in [viewerA, memberA] {
                    for action in actions {
                        let answer = try await client.call(action.method, action.path, token: token, json: action.json)
                        #expect(answer.status == .forbidden, "\(action.method) \(action.path): \(answer.body)")
                    }
                }
                let stateOfFailed = try await queue.state(of: failedA)
                #expect(stateOfFailed == .failed)
                let stateOfDelayed = try await queue.state(of: delayedA)
                #expect(stateOfDelayed == .delayed)
            }
        }
    }

    @Test func aPlatformAdminFiltersOnOneTenantATenantMayNameOnlyItsOwn() async throws {
        try await APIHarness.with { harness in
            let queue = harness.queue(Self.imports)
            let failedA = try await AdminRoutesTests.job(queue, tenant: harness.tenantA, fail: true)
            let failedB = try await AdminRoutesTests.job(queue, tenant: harness.tenantB, fail: true)
            let waiting1 = try await AdminRoutesTests.job(queue, tenant: harness.tenantB, fail: false)
            let waiting2 = try await AdminRoutesTests.job(queue, tenant: harness.tenantB, fail: false)
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            let adminA = try await APIHarness.token(tenant: harness.tenantA)
            let viewerA = try await APIHarness.token(tenant: harness.tenantA, role: "viewer")
            let tenantA = harness.tenantA.description
            let tenantB = harness.tenantB.description
            try await harness.app().test(.router) { client in
                let everything = try await client.call(.get, "/api/admin/queues", token: platform)
                let all = Self.summary(everything.body, Self.imports)?["counts"] as? [String: Int]
                #expect(all?["failed"] == 2)
                #expect(all?["waiting"] == 2)
                let filtered = try await client.call(.get, "/api/admin/queues?tenant=\(tenantB)", token: platform)
                #expect(filtered.status == .ok, "\(filtered.body)")
                let onlyB = Self.summary(filtered.body, Self.imports)?["counts"] as? [String: Int]
                #expect(onlyB?["failed"] == 1)
                #expect(onlyB?["waiting"] == 2)
                let filteredA = try await client.call(.get, "/api/admin/queues?tenant=\(tenantA)", token: platform)
                let onlyA = Self.summary(filteredA.body, Self.imports)?["counts"] as? [String: Int]
                #expect(onlyA?["failed"] == 1)
                #expect(onlyA?["waiting"] == 0)

                let failedOfB = try await client.call(.get, "\(Self.base)/jobs?state=failed&tenant=\(tenantB)", token: platform)
                #expect(failedOfB.status == .ok)
                #expect(Self.ids(failedOfB.body["jobs"]) == [failedB])
                let waitingOfB = try await client.call(.get, "\(Self.base)/jobs?state=waiting&tenant=\(tenantB)", token: platform)
                #expect(Set(Self.ids(waitingOfB.body["jobs"])) == [waiting1, waiting2])
                let waitingOfA = try await client.call(.get, "\(Self.base)/jobs?state=waiting&tenant=\(tenantA)", token: platform)
                #expect(Self.ids(waitingOfA.body["jobs"]).isEmpty)

                // A tenant's users may name their own tenant; another one does not exist for them.
                let ownNamed = try await client.call(.get, "\(Self.base)/jobs?state=failed&tenant=\(tenantA)", token: adminA)
                #expect(ownNamed.status == .ok)
                #expect(Self.ids(ownNamed.body["jobs"]) == [failedA])
                let ownSummary = try await client.call(.get, "/api/admin/queues?tenant=\(tenantA)", token: viewerA)
                #expect(ownSummary.status == .ok)
                let others = [
                    "/api/admin/queues?tenant=\(tenantB)", "\(Self.base)/jobs?state=failed&tenant=\(tenantB)",
                    "\(Self.base)/metrics?tenant=\(tenantB)", "/api/admin/jobs/search?text=boom&tenant=\(tenantB)",
                ]
                for token in [adminA, viewerA] {
                    for path in others {
                        let answer = try await client.call(.get, path, token: token)
                        #expect(answer.status == .notFound, "\(path): \(answer.body)")
                    }
                }
                // Not a UUID: refused, whoever asks.
                let malformed = [
                    "/api/admin/queues?tenant=nope", "\(Self.base)/jobs?state=failed&tenant=nope", "\(Self.base)/metrics?tenant=nope",
                    "/api/admin/jobs/search?text=boom&tenant=nope",
                ]
                for token in [platform, adminA] {
                    for path in malformed {
                        let answer = try await client.call(.get, path, token: token)
                        #expect(answer.status == .badRequest, "\(path): \(answer.body)")
                    }
                }
            }
        }
    }

    @Test func aJobsPageShowsDataOptionsStackTraceAndItsLastLogLines() async throws {
        try await APIHarness.with { harness in
            let queue = harness.queue(Self.imports)
            let added = try await queue.add(
                "probe", json: #"{"file":"a.csv","rows":3}"#,
                options: .init(attempts: 1, timeout: .seconds(90), tenantID: harness.tenantA.description))
            for line in 1...105 { try await queue.addLog(added.id, "line \(line)") }
            let fetch = FetchOptions(token: "detail", lockDuration: .seconds(30))
            let fetched = try await queue.fetch(fetch).job
            let job = try #require(fetched)
            #expect(job.id == added.id)
            _ = try await queue.fail(job, token: "detail", reason: "parse error", stacktrace: ["at parse (a.swift:1)", "at run (b.swift:2)"])
            let jobB = try await AdminRoutesTests.job(queue, tenant: harness.tenantB, fail: false)
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            let viewerA = try await APIHarness.token(tenant: harness.tenantA, role: "viewer")
            let adminA = try await APIHarness.token(tenant: harness.tenantA)
            let adminB = try await APIHarness.token(tenant: harness.tenantB)
            try await harness.app().test(.router) { client in
                let answer = try await client.call(.get, "\(Self.base)/jobs/\(added.id)", token: viewerA)
                #expect(answer.status == .ok, "\(answer.body)")
                let detail = try #require(answer.body["job"] as? [String: Any])
                #expect(detail["id"] as? String == added.id)
                #expect(detail["queue"] as? String == Self.imports)
                #expect(detail["name"] as? String == "probe")
                #expect(detail["state"] as? String == "failed")
                #expect(detail["tenantId"] as? String == harness.tenantA.description)
                let data = detail["data"] as? [String: Any]
                #expect(data?["file"] as? String == "a.csv")
                #expect(data?["rows"] as? Int == 3)
                let options = detail["options"] as? [String: Any]
                #expect(options?["attempts"] as? Int == 1)
                #expect(options?["timeout"] as? Int == 90_000)
                #expect(detail["failedReason"] as? String == "parse error")
                #expect(detail["stacktrace"] as? [String] == ["at parse (a.swift:1)", "at run (b.swift:2)"])
                #expect(detail["attemptsMade"] as? Int == 1)
                #expect(detail["createdAt"] is String)
                #expect(detail["finishedAt"] is String)
                // The last 100 lines, oldest first, and how many there are in all.
                #expect(detail["logCount"] as? Int == 105)
                let logs = detail["logs"] as? [String]
                #expect(logs?.count == 100)
                #expect(logs?.first == "line 6")
                #expect(logs?.last == "line 105")

                // Another tenant's job does not exist for A, whatever the role; B's admin sees it.
                for token in [adminA, viewerA] {
                    let other = try await client.call(.get, "\(Self.base)/jobs/\(jobB)", token: token)
                    #expect(other.status == .notFound)
                }
                let fromB = try await client.call(.get, "\(Self.base)/jobs/\(added.id)", token: adminB)
                #expect(fromB.status == .notFound)
                let ownB = try await client.call(.get, "\(Self.base)/jobs/\(jobB)", token: adminB)
                #expect(ownB.status == .ok)
                let waitingB = try #require(ownB.body["job"] as? [String: Any])
                #expect(waitingB["state"] as? String == "waiting")
                #expect(waitingB["logCount"] as? Int == 0)
                #expect((waitingB["logs"] as? [String])?.isEmpty == true)
                #expect((waitingB["stacktrace"] as? [String])?.isEmpty == true)

                // The platform sees both.
                for (id, tenant) in [(added.id, harness.tenantA), (jobB, harness.tenantB)] {
                    let seen = try await client.call(.get, "\(Self.base)/jobs/\(id)", token: platform)
                    #expect(seen.status == .ok)
                    #expect((seen.body["job"] as? [String: Any])?["tenantId"] as? String == tenant.description)
                }
                let missing = try await client.call(.get, "\(Self.base)/jobs/999999", token: platform)
                #expect(missing.status == .notFound)
            }
        }
    }

    @Test func promoteRunsADelayedJobNowWithinItsOwnTenant() async throws {
        try await APIHarness.with { harness in
            let queue = harness.queue(Self.imports)
            let delayedA = try await Self.delayed(queue, tenant: harness.tenantA)
            let delayedB = try await Self.delayed(queue, tenant: harness.tenantB)
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            let adminA = try await APIHarness.token(tenant: harness.tenantA)
            try await harness.app().test(.router) { client in
                let before = try await client.call(.get, "\(Self.base)/jobs/\(delayedA)", token: adminA)
                let waitingJob = before.body["job"] as? [String: Any]
                #expect(waitingJob?["state"] as? String == "delayed")
                #expect(waitingJob?["delayMs"] as? Int == 600_000)

                // B's job does not exist for A.
                let refused = try await client.call(.post, "\(Self.base)/jobs/\(delayedB)/promote", token: adminA)
                #expect(refused.status == .notFound)
                let stillDelayed = try await queue.state(of: delayedB)
                #expect(stillDelayed == .delayed)

                let promoted = try await client.call(.post, "\(Self.base)/jobs/\(delayedA)/promote", token: adminA)
                #expect(promoted.status == .ok, "\(promoted.body)")
                #expect((promoted.body["job"] as? [String: Any])?["state"] as? String == "waiting")
                let stateA = try await queue.state(of: delayedA)
                #expect(stateA == .waiting)
                // No longer delayed: a conflict; a job that does not exist: not found.
                let again = try await client.call(.post, "\(Self.base)/jobs/\(delayedA)/promote", token: adminA)
                #expect(again.status == .conflict)
                let missing = try await client.call(.post, "\(Self.base)/jobs/999999/promote", token: adminA)
                #expect(missing.status == .notFound)

                let byPlatform = try await client.call(.post, "\(Self.base)/jobs/\(delayedB)/promote", token: platform)
                #expect(byPlatform.status == .ok)
                let stateB = try await queue.state(of: delayedB)
                #expect(stateB == .waiting)

                // Promoting every delayed job: a tenant admin's own only.
                let laterA = try await Self.delayed(queue, tenant: harness.tenantA)
                let laterB = try await Self.delayed(queue, tenant: harness.tenantB)
                let bulk = try await client.call(.post, "\(Self.base)/bulk", token: adminA, json: #"{"action":"promote","state":"delayed"}"#)
                #expect(bulk.status == .ok, "\(bulk.body)")
                #expect(bulk.body["done"] as? Int == 1)
                #expect(bulk.body["skipped"] as? Int == 0)
                let laterStates = try await [queue.state(of: laterA), queue.state(of: laterB)]
                #expect(laterStates == [.waiting, .delayed])
            }
        }
    }

    @Test func bulkActsOnOwnJobsByIdOrByStateAndCountsWhatItSkipped() async throws {
        try await APIHarness.with { harness in
            let queue = harness.queue(Self.imports)
            let a1 = try await AdminRoutesTests.job(queue, tenant: harness.tenantA, fail: true)
            let a2 = try await AdminRoutesTests.job(queue, tenant: harness.tenantA, fail: true)
            let b1 = try await AdminRoutesTests.job(queue, tenant: harness.tenantB, fail: true)
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            let adminA = try await APIHarness.token(tenant: harness.tenantA)
            let adminB = try await APIHarness.token(tenant: harness.tenantB)
            let bulk = "\(Self.base)/bulk"
            try await harness.app().test(.router) { client in
                // By id: A's two are retried; B's job and a missing id are skipped (an id given
                // twice counts once).
                let byID = try await client.call(
                    .post, bulk, token: adminA, json: #"{"action":"retry","ids":["\#(a1)","\#(a2)","\#(b1)","missing-1","\#(a1)"]}"#)
                #expect(byID.status == .ok, "\(byID.body)")
                #expect(byID.body["action"] as? String == "retry")
                #expect(byID.body["done"] as? Int == 2)
                #expect(byID.body["skipped"] as? Int == 2)
                #expect(byID.body["more"] as? Bool == false)
                let afterIDs = try await [queue.state(of: a1), queue.state(of: a2), queue.state(of: b1)]
                #expect(afterIDs == [.waiting, .waiting, .failed])

                // Malformed requests, before anything is done.
                let refusals: [(token: String, json: String)] = [
                    (platform, #"{"action":"remove","state":"active"}"#),
                    (platform, #"{"action":"promote","state":"failed"}"#),
                    (platform, #"{"action":"retry","state":"waiting"}"#),
                    (platform, #"{"action":"retry"}"#),
                    (platform, #"{"action":"retry","ids":[]}"#),
                    (platform, #"{"action":"retry","ids":["\#(b1)"],"state":"failed"}"#),
                    (platform, #"{"action":"retry","ids":["\#(b1)"],"tenant":"\#(harness.tenantB)"}"#),
                    (platform, #"{"action":"retry","state":"failed","tenant":"nope"}"#),
                    (adminA, #"{"action":"retry","state":"failed","tenant":"\#(harness.tenantA)"}"#),
                ]
                for refusal in refusals {
                    let answer = try await client.call(.post, bulk, token: refusal.token, json: refusal.json)
                    #expect(answer.status == .badRequest, "\(refusal.json): \(answer.body)")
                }
                let untouched = try await queue.state(of: b1)
                #expect(untouched == .failed)

                // By state, a platform admin filtering on B: B's only.
                try await Self.failWaiting(queue)
                let onlyB = try await client.call(
                    .post, bulk, token: platform, json: #"{"action":"retry","state":"failed","tenant":"\#(harness.tenantB)"}"#)
                #expect(onlyB.status == .ok, "\(onlyB.body)")
                #expect(onlyB.body["done"] as? Int == 1)
                #expect(onlyB.body["skipped"] as? Int == 0)
                let afterB = try await [queue.state(of: a1), queue.state(of: a2), queue.state(of: b1)]
                #expect(afterB == [.failed, .failed, .waiting])

                // By state, a tenant admin: its own only.
                try await Self.failWaiting(queue)
                let ownState = try await client.call(.post, bulk, token: adminA, json: #"{"action":"retry","state":"failed"}"#)
                #expect(ownState.body["done"] as? Int == 2)
                let afterA = try await [queue.state(of: a1), queue.state(of: a2), queue.state(of: b1)]
                #expect(afterA == [.waiting, .waiting, .failed])

                // By state, a platform admin: every failed job goes back to wait.
                try await Self.failWaiting(queue)
                let everyone = try await client.call(.post, bulk, token: platform, json: #"{"action":"retry","state":"failed"}"#)
                #expect(everyone.status == .ok)
                #expect(everyone.body["done"] as? Int == 3)
                #expect(everyone.body["more"] as? Bool == false)
                let counts = try await queue.counts()
                #expect(counts.failed == 0)
                #expect(counts.waiting == 3)

                // B's admin removes B's waiting jobs, none of A's.
                let removed = try await client.call(.post, bulk, token: adminB, json: #"{"action":"remove","state":"waiting"}"#)
                #expect(removed.body["action"] as? String == "remove")
                #expect(removed.body["done"] as? Int == 1)
                let goneB = try await queue.job(b1)
                #expect(goneB == nil)
                let keptA = try await queue.existing(ids: [a1, a2])
                #expect(keptA == [a1, a2])
            }
        }
    }

    @Test func aRetryByStateLeavesAloneTheJobsThatFailAgainMeanwhile() async throws {
        try await APIHarness.with { harness in
            let queue = harness.queue(Self.imports)
            let first = try await AdminRoutesTests.job(queue, tenant: harness.tenantA, fail: true)
            let second = try await AdminRoutesTests.job(queue, tenant: harness.tenantB, fail: true)
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            let bulk = "\(Self.base)/bulk"
            try await harness.app().test(.router) { client in
                let opening = try await client.call(.post, bulk, token: platform, json: #"{"action":"retry","state":"failed"}"#)
                #expect(opening.status == .ok, "\(opening.body)")
                #expect(opening.body["done"] as? Int == 2)
                let before = try #require(opening.body["before"] as? Int)
                // Both run again and fail again, after the first call began.
                while Int(Date().timeIntervalSince1970 * 1_000) <= before { await Task.yield() }
                let fetch = FetchOptions(token: "bulk-test", lockDuration: .seconds(30))
                while let job = try await queue.fetch(fetch).job { _ = try await queue.fail(job, token: "bulk-test", reason: "again") }
                let failedAgain = try await [queue.state(of: first), queue.state(of: second)]
                #expect(failedAgain == [.failed, .failed])
                // The next call of the same retry keeps to the jobs that had failed by then: none.
                let next = try await client.call(.post, bulk, token: platform, json: #"{"action":"retry","state":"failed","before":\#(before)}"#)
                #expect(next.status == .ok, "\(next.body)")
                #expect(next.body["done"] as? Int == 0)
                let untouched = try await [queue.state(of: first), queue.state(of: second)]
                #expect(untouched == [.failed, .failed])
                // The same for a tenant's own.
                let adminA = try await APIHarness.token(tenant: harness.tenantA)
                let own = try await client.call(.post, bulk, token: adminA, json: #"{"action":"retry","state":"failed","before":\#(before)}"#)
                #expect(own.body["done"] as? Int == 0)
                // A new retry takes them; `before` goes with a retry by state only.
                let again = try await client.call(.post, bulk, token: platform, json: #"{"action":"retry","state":"failed"}"#)
                #expect(again.body["done"] as? Int == 2)
                let misplaced = try await client.call(
                    .post, bulk, token: platform, json: #"{"action":"remove","state":"failed","before":\#(before)}"#)
                #expect(misplaced.status == .badRequest)
                let withIDs = try await client.call(.post, bulk, token: platform, json: #"{"action":"retry","ids":["\#(first)"],"before":1}"#)
                #expect(withIDs.status == .badRequest)
            }
        }
    }

    @Test func withoutAnOrderEachStateKeepsItsOwn() async throws {
        try await APIHarness.with { harness in
            let queue = harness.queue(Self.imports)
            let later = try await queue.add("probe", json: "{}", options: .init(delay: .seconds(900), tenantID: harness.tenantA.description)).id
            let sooner = try await queue.add("probe", json: "{}", options: .init(delay: .seconds(300), tenantID: harness.tenantA.description)).id
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            try await harness.app().test(.router) { client in
                func ids(_ query: String) async throws -> [String] {
                    let answer = try await client.call(.get, "\(Self.base)/jobs?\(query)", token: platform)
                    return (answer.body["jobs"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
                }
                // Delayed jobs in the order they will run, as before the order parameter existed.
                let plain = try await ids("state=delayed")
                #expect(plain == [sooner, later])
                let newest = try await ids("state=delayed&order=newest")
                #expect(newest == [later, sooner])
            }
        }
    }

    @Test func oldestFirstIsNewestFirstReversed() async throws {
        try await APIHarness.with { harness in
            let queue = harness.queue(Self.imports)
            let a1 = try await AdminRoutesTests.job(queue, tenant: harness.tenantA, fail: true)
            let a2 = try await AdminRoutesTests.job(queue, tenant: harness.tenantA, fail: true)
            let a3 = try await AdminRoutesTests.job(queue, tenant: harness.tenantA, fail: true)
            let b1 = try await AdminRoutesTests.job(queue, tenant: harness.tenantB, fail: true)
            let w1 = try await AdminRoutesTests.job(queue, tenant: harness.tenantA, fail: false)
            let w2 = try await AdminRoutesTests.job(queue, tenant: harness.tenantA, fail: false)
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            let adminA = try await APIHarness.token(tenant: harness.tenantA)
            try await harness.app().test(.router) { client in
                func page(_ token: String, _ query: String) async throws -> [String] {
                    let answer = try await client.call(.get, "\(Self.base)/jobs?\(query)", token: token)
                    #expect(answer.status == .ok, "\(query): \(answer.body)")
                    return Self.ids(answer.body["jobs"])
                }
                // Failed jobs by when they failed (ids are 1, 2, … in a fresh queue, so equal
                // times order the same way).
                let oldest = try await page(platform, "state=failed&order=oldest")
                let newest = try await page(platform, "state=failed&order=newest")
                #expect(oldest == [a1, a2, a3, b1])
                #expect(newest == Array(oldest.reversed()))
                let byDefault = try await page(platform, "state=failed")
                #expect(byDefault == newest)

                // A tenant's own, from its index.
                let ownOldest = try await page(adminA, "state=failed&order=oldest")
                let ownNewest = try await page(adminA, "state=failed&order=newest")
                #expect(ownOldest == [a1, a2, a3])
                #expect(ownNewest == Array(ownOldest.reversed()))
                let filtered = try await page(platform, "state=failed&order=oldest&tenant=\(harness.tenantA)")
                #expect(filtered == ownOldest)

                // Waiting: oldest first is the next to run.
                let nextFirst = try await page(platform, "state=waiting&order=oldest")
                #expect(nextFirst == [w1, w2])
                let lastFirst = try await page(platform, "state=waiting&order=newest")
                #expect(lastFirst == [w2, w1])

                let sideways = try await client.call(.get, "\(Self.base)/jobs?state=failed&order=sideways", token: platform)
                #expect(sideways.status == .badRequest)
            }
        }
    }

    @Test func theWholeQueuesMetricsComeFromRedisMinuteByMinute() async throws {
        try await APIHarness.with { harness in
            let queue = harness.queue(Self.imports)
            for _ in 0..<3 { _ = try await Self.completed(queue, tenant: harness.tenantA) }
            _ = try await AdminRoutesTests.job(queue, tenant: harness.tenantB, fail: true)
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            try await harness.app().test(.router) { client in
                let before = Date()
                let answer = try await client.call(.get, "\(Self.base)/metrics?minutes=5", token: platform)
                let after = Date()
                #expect(answer.status == .ok, "\(answer.body)")
                #expect(answer.body["queue"] as? String == Self.imports)
                #expect(answer.body["minutes"] as? Int == 5)
                let completed = try #require(answer.body["completed"] as? [Int])
                let failed = try #require(answer.body["failed"] as? [Int])
                #expect(completed.count == 5)
                #expect(failed.count == 5)
                // All within these five minutes, wherever a minute boundary fell.
                #expect(completed.reduce(0, +) == 3, "\(completed)")
                #expect(failed.reduce(0, +) == 1, "\(failed)")
                let endsAt = try #require(Self.date(answer.body["endsAt"]))
                Self.expectMinuteBoundary(endsAt, before: before, after: after)

                // An idle queue: a zero per minute, an hour by default.
                let idle = try await client.call(.get, "/api/admin/queues/\(QueueName.agentRuns)/metrics", token: platform)
                #expect(idle.body["completed"] as? [Int] == Array(repeating: 0, count: 60))
                #expect(idle.body["failed"] as? [Int] == Array(repeating: 0, count: 60))
                let one = try await client.call(.get, "\(Self.base)/metrics?minutes=1", token: platform)
                #expect((one.body["completed"] as? [Int])?.count == 1)
                // A tenant's view counts its own finishes only.
                let tenantView = try await client.call(.get, "\(Self.base)/metrics?minutes=5&tenant=\(harness.tenantA)", token: platform)
                #expect(tenantView.status == .ok)
                #expect((tenantView.body["completed"] as? [Int])?.reduce(0, +) == 3)
                #expect((tenantView.body["failed"] as? [Int])?.reduce(0, +) == 0)

                for minutes in ["0", "1441", "x"] {
                    let refused = try await client.call(.get, "\(Self.base)/metrics?minutes=\(minutes)", token: platform)
                    #expect(refused.status == .badRequest, "minutes=\(minutes)")
                }
            }
        }
    }

    @Test func aTenantsMetricsCountItsOwnFinishesMinuteByMinute() async throws {
        try await APIHarness.with { harness in
            let imports = harness.queue(Self.imports)
            let notifications = harness.queue(QueueName.notifications)
            for _ in 0..<2 { _ = try await Self.completed(imports, tenant: harness.tenantA) }
            _ = try await AdminRoutesTests.job(imports, tenant: harness.tenantA, fail: true)
            _ = try await Self.completed(notifications, tenant: harness.tenantA)
            for _ in 0..<5 { _ = try await Self.completed(imports, tenant: harness.tenantB) }
            // The finish script's minute counts expire on their own.
            let buckets = try await imports.redis.execute(
                RedisCommand("KEYS", [.string(imports.keys.base + "tm:\(harness.tenantA):*")]), as: [String].self)
            #expect(!buckets.isEmpty)
            for bucket in buckets {
                let ttl = try await imports.redis.execute(RedisCommand("TTL", [.string(bucket)], keyArguments: 0..<1), as: Int.self)
                #expect(ttl > 0 && ttl <= 7_260)
            }
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            let adminA = try await APIHarness.token(tenant: harness.tenantA)
            let viewerA = try await APIHarness.token(tenant: harness.tenantA, role: "viewer")
            try await harness.app().test(.router) { client in
                let before = Date()
                let own = try await client.call(.get, "\(Self.base)/metrics", token: viewerA)
                let after = Date()
                #expect(own.status == .ok, "\(own.body)")
                let completed = try #require(own.body["completed"] as? [Int])
                let failed = try #require(own.body["failed"] as? [Int])
                #expect(completed.count == 60)
                #expect(failed.count == 60)
                #expect(completed.reduce(0, +) == 2, "\(completed)")
                #expect(failed.reduce(0, +) == 1, "\(failed)")
                // In the minute in progress, or the one before if a minute began since the jobs finished.
                #expect(completed.suffix(2).reduce(0, +) == 2)
                let endsAt = try #require(Self.date(own.body["endsAt"]))
                Self.expectMinuteBoundary(endsAt, before: before, after: after)

                let forA = try await client.call(.get, "\(Self.base)/metrics?tenant=\(harness.tenantA)", token: platform)
                #expect((forA.body["completed"] as? [Int])?.reduce(0, +) == 2)
                let forB = try await client.call(.get, "\(Self.base)/metrics?tenant=\(harness.tenantB)", token: platform)
                #expect((forB.body["completed"] as? [Int])?.reduce(0, +) == 5)
                #expect((forB.body["failed"] as? [Int])?.reduce(0, +) == 0)
                let notA = try await client.call(.get, "\(Self.base)/metrics?tenant=\(harness.tenantB)", token: adminA)
                #expect(notA.status == .notFound)
                let otherQueue = try await client.call(.get, "/api/admin/queues/\(QueueName.notifications)/metrics", token: adminA)
                #expect((otherQueue.body["completed"] as? [Int])?.reduce(0, +) == 1)
                // Longer than the counts are kept: the older minutes read 0.
                let day = try await client.call(.get, "\(Self.base)/metrics?minutes=1440", token: adminA)
                #expect((day.body["completed"] as? [Int])?.count == 1_440)
                #expect((day.body["completed"] as? [Int])?.reduce(0, +) == 2)
            }
        }
    }

    @Test func searchFindsOwnResultsByTextIdOrNameTheTextLiterally() async throws {
        try await APIHarness.with { harness in
            try await Self.record(
                harness, harness.tenantA,
                [
                    Self.result("s-a1", error: "Row 12: 100%_done parsing"), Self.result("s-a2", error: "row 13: 100xxdone"),
                    Self.result("s-a3", queue: QueueName.notifications, name: "notify", error: "smtp timeout"),
                ])
            try await Self.record(
                harness, harness.tenantB, [Self.result("s-b1", error: "Row 99: 100%_done too"), Self.result("s-b2", state: .completed)])
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            let adminA = try await APIHarness.token(tenant: harness.tenantA)
            let viewerA = try await APIHarness.token(tenant: harness.tenantA, role: "viewer")
            try await harness.app().test(.router) { client in
                func found(_ query: String, _ token: String) async throws -> Set<String> {
                    let answer = try await client.call(.get, "/api/admin/jobs/search?\(query)", token: token)
                    #expect(answer.status == .ok, "\(query): \(answer.body)")
                    return Set(Self.resultIDs(answer.body))
                }
                // A piece of the failure text, ignoring case: A's own; the platform's, everyone's.
                let own = try await found("text=ROW", viewerA)
                #expect(own == ["s-a1", "s-a2"])
                let everyone = try await found("text=row", platform)
                #expect(everyone == ["s-a1", "s-a2", "s-b1"])
                // `%` and `_` are the text itself, not wildcards: "100xxdone" does not match.
                let literal = try await found("text=100%25_", viewerA)
                #expect(literal == ["s-a1"])
                let literalEveryone = try await found("text=100%25_", platform)
                #expect(literalEveryone == ["s-a1", "s-b1"])

                // Id and name match exactly; B's id is not there for A.
                let byID = try await found("id=s-a2", viewerA)
                #expect(byID == ["s-a2"])
                let partialID = try await found("id=s-a", viewerA)
                #expect(partialID.isEmpty)
                let othersID = try await found("id=s-b1", adminA)
                #expect(othersID.isEmpty)
                let othersIDPlatform = try await found("id=s-b1", platform)
                #expect(othersIDPlatform == ["s-b1"])
                let byName = try await found("name=notify", viewerA)
                #expect(byName == ["s-a3"])
                let partialName = try await found("name=noti", viewerA)
                #expect(partialName.isEmpty)

                // Narrowed by queue, state, tenant.
                let inQueue = try await found("text=timeout&queue=\(QueueName.notifications)", viewerA)
                #expect(inQueue == ["s-a3"])
                let notInQueue = try await found("text=timeout&queue=\(QueueName.imports)", viewerA)
                #expect(notInQueue.isEmpty)
                let completed = try await found("name=probe&state=completed", platform)
                #expect(completed == ["s-b2"])
                let onlyB = try await found("text=row&tenant=\(harness.tenantB)", platform)
                #expect(onlyB == ["s-b1"])

                // A row says whose it is and how it ended.
                let answer = try await client.call(.get, "/api/admin/jobs/search?id=s-b1", token: platform)
                let row = try #require((answer.body["results"] as? [[String: Any]])?.first)
                #expect(row["tenantId"] as? String == harness.tenantB.description)
                #expect(row["queue"] as? String == QueueName.imports)
                #expect(row["name"] as? String == "probe")
                #expect(row["state"] as? String == "failed")
                #expect(row["error"] as? String == "Row 99: 100%_done too")
                #expect(answer.body["page"] as? Int == 1)

                // Something to look for is needed, and a text of three characters at least (the
                // trigram index's unit).
                for query in ["", "queue=\(QueueName.imports)", "state=failed", "page=2", "text=ab"] {
                    let refused = try await client.call(.get, "/api/admin/jobs/search?\(query)", token: platform)
                    #expect(refused.status == .badRequest, "\(query): \(refused.body)")
                }
            }
        }
    }

    @Test func searchPagesFiftyAtATime() async throws {
        try await APIHarness.with { harness in
            try await Self.record(harness, harness.tenantA, (1...55).map { Self.result("p-a\($0)", name: "paged", error: "boom") })
            try await Self.record(harness, harness.tenantB, (1...3).map { Self.result("p-b\($0)", name: "paged", error: "boom") })
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            let viewerA = try await APIHarness.token(tenant: harness.tenantA, role: "viewer")
            try await harness.app().test(.router) { client in
                let first = try await client.call(.get, "/api/admin/jobs/search?name=paged", token: viewerA)
                let second = try await client.call(.get, "/api/admin/jobs/search?name=paged&page=2", token: viewerA)
                let third = try await client.call(.get, "/api/admin/jobs/search?name=paged&page=3", token: viewerA)
                #expect(first.body["page"] as? Int == 1)
                #expect(second.body["page"] as? Int == 2)
                let one = Self.resultIDs(first.body)
                let two = Self.resultIDs(second.body)
                #expect(one.count == 50)
                #expect(two.count == 5)
                #expect(Set(one).isDisjoint(with: two))
                #expect(Set(one + two) == Set((1...55).map { "p-a\($0)" }))
                #expect(Self.resultIDs(third.body).isEmpty)
                let platformSecond = try await client.call(.get, "/api/admin/jobs/search?name=paged&page=2", token: platform)
                #expect(Self.resultIDs(platformSecond.body).count == 8)
                let zero = try await client.call(.get, "/api/admin/jobs/search?name=paged&page=0", token: viewerA)
                #expect(zero.status == .badRequest)
            }
        }
    }

    @Test func platformAdminsSeeRedisAndWorkersTenantsDoNot() async throws {
        try await APIHarness.with { harness in
            try await harness.queue(Self.imports).heartbeat(worker: "host-1:abc")
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            let adminA = try await APIHarness.token(tenant: harness.tenantA)
            let viewerA = try await APIHarness.token(tenant: harness.tenantA, role: "viewer")
            try await harness.app().test(.router) { client in
                let all = try await client.call(.get, "/api/admin/queues", token: platform)
                #expect(all.status == .ok)
                let redis = try #require(all.body["redis"] as? [String: Any], "\(all.body)")
                #expect((redis["usedMemoryBytes"] as? Int ?? 0) > 0)
                #expect(redis["maxMemoryBytes"] is Int)
                #expect((redis["version"] as? String)?.isEmpty == false)
                #expect(Self.summary(all.body, Self.imports)?["workers"] as? [String] == ["host-1:abc"])

                for token in [adminA, viewerA] {
                    let own = try await client.call(.get, "/api/admin/queues", token: token)
                    #expect(own.status == .ok)
                    #expect(own.body["redis"] == nil)
                    #expect(Self.summary(own.body, Self.imports)?["workers"] as? [String] == [])
                }
            }
        }
    }

    @Test func theAdminEventStreamFollowsAnyJobTheCallerMaySee() async throws {
        try await APIHarness.with { harness in
            let queue = harness.queue(Self.imports)
            let failedB = try await AdminRoutesTests.job(queue, tenant: harness.tenantB, fail: true)
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            let viewerB = try await APIHarness.token(tenant: harness.tenantB, role: "viewer")
            let adminA = try await APIHarness.token(tenant: harness.tenantA)
            let viewerA = try await APIHarness.token(tenant: harness.tenantA, role: "viewer")
            try await harness.app().test(.router) { client in
                let uri = "\(Self.base)/jobs/\(failedB)/events"
                // The job has ended: the snapshot says so and the stream closes.
                for token in [platform, viewerB] {
                    let response = try await Self.stream(client, uri, token: token)
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("text/event-stream") == true)
                    let body = String(buffer: response.body)
                    let frames = JobEventsTests.frames(body)
                    #expect(frames.first?.event == "state", "\(body)")
                    #expect(frames.first?.data["state"] as? String == "failed")
                    #expect(frames.first?.data["id"] as? String == failedB)
                }
                for token in [adminA, viewerA] {
                    let response = try await Self.stream(client, uri, token: token)
                    #expect(response.status == .notFound)
                }
                let missing = try await Self.stream(client, "\(Self.base)/jobs/999999/events", token: platform)
                #expect(missing.status == .notFound)
                // An empty or malformed Last-Event-ID is refused before anything is subscribed.
                for value in ["", "yesterday"] {
                    let refused = try await client.execute(
                        uri: uri, method: .get, headers: [.authorization: "Bearer \(platform)", .lastEventID: value]
                    ) { $0.status }
                    #expect(refused == .badRequest, "Last-Event-ID: '\(value)'")
                }
            }
        }
    }
}

extension DashboardAdminRoutesTests {
    /// One queue's summary in `GET /api/admin/queues`.
    static func summary(_ body: [String: Any], _ queue: String) -> [String: Any]? {
        (body["queues"] as? [[String: Any]])?.first { $0["name"] as? String == queue }
    }

    /// The ids of a `jobs` array.
    static func ids(_ jobs: Any?) -> [String] {
        (jobs as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
    }

    /// The job ids of a search page.
    static func resultIDs(_ body: [String: Any]) -> [String] {
        (body["results"] as? [[String: Any]])?.compactMap { $0["jobId"] as? String } ?? []
    }

    /// Adds a job for `tenant` due in ten minutes.
    static func delayed(_ queue: Queue, tenant: TenantID) async throws -> String {
        try await queue.add("probe", json: "{}", options: .init(delay: .seconds(600), tenantID: tenant.description)).id
    }

    /// Adds a job for `tenant` and completes it as a worker would (the queue must have nothing
    /// else waiting).
    static func completed(_ queue: Queue, tenant: TenantID) async throws -> String {
        let added = try await queue.add("probe", json: "{}", options: .init(tenantID: tenant.description))
        let fetched = try await queue.fetch(FetchOptions(token: "dashboard-test", lockDuration: .seconds(30))).job
        let job = try #require(fetched)
        #expect(job.id == added.id)
        _ = try await queue.complete(job, token: "dashboard-test", returnValue: "{}")
        return added.id
    }

    /// Runs every waiting job to a final failure (the tests' jobs have one attempt).
    static func failWaiting(_ queue: Queue) async throws {
        let fetch = FetchOptions(token: "dashboard-test", lockDuration: .seconds(30))
        while let job = try await queue.fetch(fetch).job {
            _ = try await queue.fail(job, token: "dashboard-test", reason: "boom")
        }
    }

    static func result(
        _ id: String, queue: String = QueueName.imports, name: String = "probe", state: JobResultRecord.State = .failed,
        error: String? = nil, finishedAt: Date? = Date()
    ) -> JobResultRecord {
        JobResultRecord(queue: queue, jobID: id, name: name, state: state, attempts: 1, error: error, finishedAt: finishedAt)
    }

    /// Writes result rows as the tenant's workers would.
    static func record(_ harness: APIHarness, _ tenant: TenantID, _ records: [JobResultRecord]) async throws {
        try await harness.database.runtime.withTenant(tenant) { tx in
            for record in records { try await tx.upsert(record) }
        }
    }

    static func date(_ value: Any?) -> Date? {
        (value as? String).flatMap { RFC3339.parse($0) }
    }

    /// `endsAt` is the end of the minute in progress when the answer was made.
    static func expectMinuteBoundary(_ endsAt: Date, before: Date, after: Date) {
        #expect(endsAt.timeIntervalSince1970.truncatingRemainder(dividingBy: 60) == 0, "\(endsAt)")
        #expect(endsAt > before)
        #expect(endsAt <= after.addingTimeInterval(60))
    }

    /// A GET of an event stream, read to its end, failing the test if it does not end in 30 s.
    static func stream(_ client: some TestClientProtocol, _ uri: String, token: String) async throws -> TestResponse {
        let headers: HTTPFields = [.authorization: "Bearer \(token)"]
        let answer = try await Task { try await client.executeRequest(uri: uri, method: .get, headers: headers, body: nil) }
            .value(within: .seconds(30))
        return try #require(answer, "\(uri) did not end within 30 seconds")
    }
}

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

/// `/api/schedules` and `/api/admin/schedules`: a schedule is a row and a scheduler in Redis,
/// created, changed and deleted together; refusals name the field and leave nothing behind;
/// tenants see only their own.
struct ScheduleRoutesTests {
    /// A stored import, an agent and an intervention of `tenant`, for schedules to run on.
    struct Targets {
        let importID: UUID
        let agentID: UUID
        let interventionID: UUID
    }

    static func seed(_ harness: APIHarness, tenant: TenantID) async throws -> Targets {
        let targets = Targets(importID: UUID(), agentID: UUID(), interventionID: UUID())
        try await harness.database.runtime.withTenant(tenant) { tx in
            try await tx.insertPropertyImport(
                id: targets.importID, format: "csv", source: Array("external_ref,title,property_type\nA-1,Flat,apartment\n".utf8), createdBy: nil)
            try await tx.insertAgent(
                AgentRecord(
                    id: targets.agentID, name: "Reporter", instructions: "", provider: "scripted", model: "script", tools: [], maxSteps: 3,
                    maxTokens: 1_000, timeoutSeconds: 60))
            _ = try await tx.insertIntervention(
                InterventionRecord(id: targets.interventionID, reference: "S-\(UUID().uuidString.prefix(8))", title: "Boiler"))
        }
        return targets
    }

    static func schedulerID(_ body: [String: Any]) -> String {
        "sch-\((body["schedule"] as? [String: Any])?["id"] as? String ?? "")"
    }

    @Test func createsReadsChangesAndDeletesEachKind() async throws {
        try await APIHarness.with { harness in
            let admin = try await APIHarness.token(tenant: harness.tenantA, role: "admin")
            let targets = try await Self.seed(harness, tenant: harness.tenantA)
            let imports = harness.queue(QueueName.imports), runs = harness.queue(QueueName.agentRuns)
            let notifications = harness.queue(QueueName.notifications)
            try await harness.app().test(.router) { client in
                let hourly = try await client.call(
                    .post, "/api/schedules", token: admin,
                    json: #"{"name":"Nightly feed","kind":"property-import","every":3600000,"importId":"\#(targets.importID.lowercasedText)"}"#)
                #expect(hourly.status == .created)
                let importSchedule = try #require(hourly.body["schedule"] as? [String: Any])
                #expect(importSchedule["queue"] as? String == QueueName.imports)
                #expect(importSchedule["every"] as? Int == 3_600_000)
                #expect(importSchedule["nextRunAt"] is String)
                let importScheduler = try #require(try await imports.jobScheduler(Self.schedulerID(hourly.body)))
                #expect(importScheduler.tenantID == harness.tenantA.description)
                #expect(importScheduler.name == ScheduledImportJob.name)

                let weekly = try await client.call(
                    .post, "/api/schedules", token: admin,
                    json: """
                        {"name":"Monday report","kind":"agent-run","pattern":"0 8 * * MON","tz":"Europe/Paris",
                         "agentId":"\(targets.agentID.lowercasedText)","prompt":"  Summarise last week  "}
                        """)
                #expect(weekly.status == .created)
                let runSchedule = try #require(weekly.body["schedule"] as? [String: Any])
                #expect(runSchedule["prompt"] as? String == "Summarise last week")
                // The next run is a Monday at 8:00 in Paris.
                let next = try #require(try await runs.jobScheduler(Self.schedulerID(weekly.body))?.next)
                var paris = Calendar(identifier: .gregorian)
                paris.timeZone = try #require(TimeZone(identifier: "Europe/Paris"))
                let parts = paris.dateComponents([.weekday, .hour, .minute], from: Date(timeIntervalSince1970: Double(next) / 1_000))
                #expect(parts.weekday == 2 && parts.hour == 8 && parts.minute == 0)

                let ping = try await client.call(
                    .post, "/api/schedules", token: admin,
                    json: """
                        {"name":"Reminder","kind":"notification","every":60000,"immediately":true,
                         "interventionId":"\(targets.interventionID.lowercasedText)","event":"scheduled"}
                        """)
                #expect(ping.status == .created)
                let reminder = try #require(try await notifications.jobScheduler(Self.schedulerID(ping.body)))
                #expect(abs((reminder.next ?? 0) - Int(Date().timeIntervalSince1970 * 1_000)) < 60_000)

                // A rename moves nothing: the pending run keeps its time.
                let hourlyID = try #require(importSchedule["id"] as? String)
                let before = try await imports.pendingRun(ofScheduler: "sch-\(hourlyID)")
                let renamed = try await client.call(.patch, "/api/schedules/\(hourlyID)", token: admin, json: #"{"name":"Nightly feed"}"#)
                #expect(renamed.status == .ok)
                #expect(try await imports.pendingRun(ofScheduler: "sch-\(hourlyID)") == before)

                let listed = try await client.call(.get, "/api/schedules", token: admin)
                #expect(listed.status == .ok)
                #expect(
                    (listed.body["schedules"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Nightly feed", "Monday report", "Reminder"])

                // A pattern schedule changed to a period: the scheduler follows, no pattern left.
                let runID = try #require(runSchedule["id"] as? String)
                let changed = try await client.call(.patch, "/api/schedules/\(runID)", token: admin, json: #"{"every":7200000,"limit":5}"#)
                #expect(changed.status == .ok)
                let changedSchedule = changed.body["schedule"] as? [String: Any]
                #expect(
                    changedSchedule?["every"] as? Int == 7_200_000 && changedSchedule?["pattern"] == nil && changedSchedule?["limit"] as? Int == 5)
                let moved = try #require(try await runs.jobScheduler("sch-\(runID)"))
                #expect(moved.schedule?.cadence == .every(milliseconds: 7_200_000))
                #expect(moved.schedule?.limit == 5)
                #expect(try await runs.jobSchedulerCount() == 1)
                // Cleared again, and a field of another kind refused by name.
                let cleared = try await client.call(.patch, "/api/schedules/\(runID)", token: admin, json: #"{"clear":["limit"]}"#)
                #expect((cleared.body["schedule"] as? [String: Any])?["limit"] == nil)
                let wrongField = try await client.call(
                    .patch, "/api/schedules/\(runID)", token: admin, json: #"{"importId":"\#(targets.importID.lowercasedText)"}"#)
                #expect(wrongField.status == .badRequest)
                #expect((wrongField.body["error"] as? String)?.hasPrefix("importId:") == true)

                // A zone alone on a period schedule is refused by name; on a pattern it re-times it.
                let importOnly = try #require(importSchedule["id"] as? String)
                let zoneOnly = try await client.call(.patch, "/api/schedules/\(importOnly)", token: admin, json: #"{"tz":"Europe/Paris"}"#)
                #expect(zoneOnly.status == .badRequest && (zoneOnly.body["error"] as? String)?.hasPrefix("tz:") == true)

                // Deleted: the row and the scheduler go together.
                let importID = try #require(importSchedule["id"] as? String)
                #expect(try await client.call(.delete, "/api/schedules/\(importID)", token: admin).status == .noContent)
                #expect(try await imports.jobScheduler("sch-\(importID)") == nil)
                #expect(try await imports.jobSchedulerCount() == 0)
                #expect(try await client.call(.get, "/api/schedules/\(importID)", token: admin).status == .notFound)
                #expect(try await client.call(.delete, "/api/schedules/\(importID)", token: admin).status == .notFound)
            }
        }
    }

    @Test func refusalsNameTheFieldAndLeaveNothingBehind() async throws {
        try await APIHarness.with { harness in
            let admin = try await APIHarness.token(tenant: harness.tenantA, role: "admin")
            let targets = try await Self.seed(harness, tenant: harness.tenantA)
            let other = try await Self.seed(harness, tenant: harness.tenantB)
            let agent = targets.agentID.lowercasedText
            let cases: [(json: String, status: HTTPResponse.Status, field: String)] = [
                (#"{"name":"x","kind":"agent-run","agentId":"\#(agent)","prompt":"p"}"#, .badRequest, "every"),
                (#"{"name":"x","kind":"agent-run","every":60000,"pattern":"* * * * *","agentId":"\#(agent)","prompt":"p"}"#, .badRequest, "every"),
                (#"{"name":"x","kind":"agent-run","every":1000,"agentId":"\#(agent)","prompt":"p"}"#, .badRequest, "every"),
                (#"{"name":"x","kind":"agent-run","pattern":"61 * * * *","agentId":"\#(agent)","prompt":"p"}"#, .badRequest, "pattern"),
                (#"{"name":"x","kind":"agent-run","pattern":"0 8 * * *","tz":"Mars/Olympus","agentId":"\#(agent)","prompt":"p"}"#, .badRequest, "tz"),
                (#"{"name":"x","kind":"agent-run","every":60000,"tz":"UTC","agentId":"\#(agent)","prompt":"p"}"#, .badRequest, "tz"),
                (#"{"name":"x","kind":"agent-run","every":60000,"agentId":"\#(agent)"}"#, .badRequest, "prompt"),
                (#"{"name":"x","kind":"property-import","every":60000}"#, .badRequest, "importId"),
                (
                    #"{"name":"x","kind":"property-import","every":60000,"importId":"\#(targets.importID.lowercasedText)","prompt":"p"}"#,
                    .badRequest, "prompt"
                ),
                (
                    #"{"name":"x","kind":"notification","every":60000,"interventionId":"\#(targets.interventionID.lowercasedText)"}"#, .badRequest,
                    "event"
                ),
                (
                    #"{"name":"x","kind":"agent-run","every":60000,"endDate":"2001-01-01T00:00:00Z","agentId":"\#(agent)","prompt":"p"}"#,
                    .badRequest, "endDate"
                ),
                (
                    #"{"name":"x","kind":"agent-run","every":60000,"immediately":true,"startDate":"2099-01-01T00:00:00Z","agentId":"\#(agent)","prompt":"p"}"#,
                    .badRequest, "immediately"
                ),
                // A cron pattern is held to the same once-a-minute floor as every.
                (#"{"name":"x","kind":"agent-run","pattern":"*/5 * * * * *","agentId":"\#(agent)","prompt":"p"}"#, .badRequest, "pattern"),
                // Another tenant's agent and import do not exist for this one.
                (#"{"name":"x","kind":"agent-run","every":60000,"agentId":"\#(other.agentID.lowercasedText)","prompt":"p"}"#, .notFound, "agentId"),
                (#"{"name":"x","kind":"property-import","every":60000,"importId":"\#(other.importID.lowercasedText)"}"#, .notFound, "importId"),
            ]
            try await harness.app().test(.router) { client in
                for item in cases {
                    let answer = try await client.call(.post, "/api/schedules", token: admin, json: item.json)
                    #expect(answer.status == item.status, "\(item.json)")
                    let message = answer.body["error"] as? String ?? ""
                    #expect(message.contains(item.field), "\(item.json): \(message)")
                }
            }
            for name in QueueName.all { #expect(try await harness.queue(name).jobSchedulerCount() == 0) }
            #expect(try await harness.database.runtime.withTenant(harness.tenantA) { tx in try await tx.scheduleCount() } == 0)
        }
    }

    @Test func tenantsSeeAndChangeOnlyTheirOwnSchedules() async throws {
        try await APIHarness.with { harness in
            let admin = try await APIHarness.token(tenant: harness.tenantA, role: "admin")
            let viewer = try await APIHarness.token(tenant: harness.tenantA, role: "viewer")
            let member = try await APIHarness.token(tenant: harness.tenantA, role: "member")
            let outsider = try await APIHarness.token(tenant: harness.tenantB, role: "admin")
            let targets = try await Self.seed(harness, tenant: harness.tenantA)
            let body = #"{"name":"Feed","kind":"property-import","every":600000,"importId":"\#(targets.importID.lowercasedText)"}"#
            try await harness.app().test(.router) { client in
                #expect(try await client.call(.post, "/api/schedules", token: viewer, json: body).status == .forbidden)
                #expect(try await client.call(.post, "/api/schedules", token: member, json: body).status == .forbidden)
                let created = try await client.call(.post, "/api/schedules", token: admin, json: body)
                let id = try #require((created.body["schedule"] as? [String: Any])?["id"] as? String)
                #expect(try await client.call(.get, "/api/schedules/\(id)", token: viewer).status == .ok)
                #expect(try await client.call(.patch, "/api/schedules/\(id)", token: viewer, json: #"{"name":"y"}"#).status == .forbidden)

                #expect(try await client.call(.get, "/api/schedules/\(id)", token: outsider).status == .notFound)
                #expect(try await client.call(.patch, "/api/schedules/\(id)", token: outsider, json: #"{"name":"mine"}"#).status == .notFound)
                #expect(try await client.call(.delete, "/api/schedules/\(id)", token: outsider).status == .notFound)
                #expect((try await client.call(.get, "/api/schedules", token: outsider).body["schedules"] as? [Any])?.isEmpty == true)
                // B cannot point a new schedule at A's import either.
                #expect(try await client.call(.post, "/api/schedules", token: outsider, json: body).status == .notFound)

                let still = try await client.call(.get, "/api/schedules/\(id)", token: admin)
                #expect((still.body["schedule"] as? [String: Any])?["name"] as? String == "Feed")
                #expect(try await harness.queue(QueueName.imports).jobSchedulerCount() == 1)
            }
        }
    }

    @Test func concurrentChangesApplyOneAfterTheOtherAndRedisFollowsTheRow() async throws {
        try await APIHarness.with { harness in
            let admin = try await APIHarness.token(tenant: harness.tenantA, role: "admin")
            let targets = try await Self.seed(harness, tenant: harness.tenantA)
            let imports = harness.queue(QueueName.imports)
            try await harness.app().test(.router) { client in
                let created = try await client.call(
                    .post, "/api/schedules", token: admin,
                    json: #"{"name":"Feed","kind":"property-import","every":600000,"importId":"\#(targets.importID.lowercasedText)"}"#)
                let id = try #require((created.body["schedule"] as? [String: Any])?["id"] as? String)
                // Many PATCHes at once, each changing a different field.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 1...6 {
                        group.addTask { () async throws in
                            let field = index % 2 == 0 ? #"{"every":\#(600_000 * index)}"# : #"{"name":"Feed \#(index)"}"#
                            #expect(try await client.call(.patch, "/api/schedules/\(id)", token: admin, json: field).status == .ok)
                        }
                    }
                    try await group.waitForAll()
                }
                let final = try #require(try await client.call(.get, "/api/schedules/\(id)", token: admin).body["schedule"] as? [String: Any])
                let every = try #require(final["every"] as? Int)
                #expect([1_200_000, 2_400_000, 3_600_000].contains(every))
                #expect((final["name"] as? String)?.hasPrefix("Feed ") == true)
                // Redis has the cadence the row has, and one pending run.
                #expect(try await imports.jobScheduler("sch-\(id)")?.schedule?.cadence == .every(milliseconds: every))
                let counts = try await imports.counts()
                #expect(counts.delayed + counts.waiting == 1)
            }
        }
    }

    @Test func aTenantKeepsAtMostAHundredSchedules() async throws {
        try await APIHarness.with { harness in
            let admin = try await APIHarness.token(tenant: harness.tenantA, role: "admin")
            let targets = try await Self.seed(harness, tenant: harness.tenantA)
            let body = #"{"name":"Feed","kind":"property-import","every":600000,"importId":"\#(targets.importID.lowercasedText)"}"#
            try await harness.app().test(.router) { client in
                for _ in 0..<ScheduleDefinition.maximumPerTenant {
                    #expect(try await client.call(.post, "/api/schedules", token: admin, json: body).status == .created)
                }
                let refused = try await client.call(.post, "/api/schedules", token: admin, json: body)
                #expect(refused.status == .conflict)
                #expect((refused.body["error"] as? String)?.contains("100 schedules") == true)
            }
            // The refused one's scheduler was taken back.
            #expect(try await harness.queue(QueueName.imports).jobSchedulerCount() == ScheduleDefinition.maximumPerTenant)
        }
    }

    @Test func adminsListSchedulersAcrossTenantsOrTheirOwn() async throws {
        try await APIHarness.with { harness in
            let adminA = try await APIHarness.token(tenant: harness.tenantA, role: "admin")
            let adminB = try await APIHarness.token(tenant: harness.tenantB, role: "admin")
            let memberA = try await APIHarness.token(tenant: harness.tenantA, role: "member")
            let platform = try await APIHarness.token(tenant: nil, role: nil, serviceRole: true)
            let targetsA = try await Self.seed(harness, tenant: harness.tenantA)
            let targetsB = try await Self.seed(harness, tenant: harness.tenantB)
            // A scheduler a BullMQ producer made: no tenant.
            try await harness.queue(QueueName.imports).upsertJobScheduler(
                "nightly-cleanup", schedule: try .every(.seconds(3_600)), template: NewJob(name: "cleanup", json: "{}"))
            try await harness.app().test(.router) { client in
                _ = try await client.call(
                    .post, "/api/schedules", token: adminA,
                    json: #"{"name":"A","kind":"property-import","every":600000,"importId":"\#(targetsA.importID.lowercasedText)"}"#)
                let createdB = try await client.call(
                    .post, "/api/schedules", token: adminB,
                    json: #"{"name":"B","kind":"agent-run","pattern":"*/15 * * * *","agentId":"\#(targetsB.agentID.lowercasedText)","prompt":"p"}"#)
                let idB = try #require((createdB.body["schedule"] as? [String: Any])?["id"] as? String)

                let all = try await client.call(.get, "/api/admin/schedules", token: platform)
                let listed = try #require(all.body["schedulers"] as? [[String: Any]])
                #expect(listed.count == 3)
                let ids = Set(listed.compactMap { $0["id"] as? String })
                #expect(ids.contains("nightly-cleanup") && ids.contains("sch-\(idB)"))
                #expect(listed.filter { $0["tenantId"] as? String == harness.tenantA.description }.count == 1)
                let onlyB = try await client.call(.get, "/api/admin/schedules?tenant=\(harness.tenantB.description)", token: platform)
                let listedB = try #require(onlyB.body["schedulers"] as? [[String: Any]])
                #expect(listedB.count == 1)
                #expect(listedB.first?["scheduleId"] as? String == idB && listedB.first?["pattern"] as? String == "*/15 * * * *")
                #expect(listedB.first?["queue"] as? String == QueueName.agentRuns)

                let own = try await client.call(.get, "/api/admin/schedules", token: adminA)
                let ownListed = try #require(own.body["schedulers"] as? [[String: Any]])
                #expect(ownListed.count == 1 && ownListed.first?["tenantId"] as? String == harness.tenantA.description)
                #expect(try await client.call(.get, "/api/admin/schedules?tenant=\(harness.tenantB.description)", token: adminA).status == .forbidden)
                // A member reads its own tenant's schedulers (the dashboard's read-only mode).
                let memberListed = try await client.call(.get, "/api/admin/schedules", token: memberA).body["schedulers"] as? [[String: Any]]
                #expect(memberListed?.count == 1 && memberListed?.first?["tenantId"] as? String == harness.tenantA.description)
                let paged = try await client.call(.get, "/api/admin/schedules?limit=1&offset=1", token: platform)
                #expect((paged.body["schedulers"] as? [Any])?.count == 1)
            }
        }
    }
}

/// The reconciler puts back the schedulers Redis lost, across tenants, and leaves ended ones away.
struct ScheduleReconcilerTests {
    @Test func restoresLostSchedulersOfEveryTenant() async throws {
        try await APIHarness.with { harness in
            let adminA = try await APIHarness.token(tenant: harness.tenantA, role: "admin")
            let adminB = try await APIHarness.token(tenant: harness.tenantB, role: "admin")
            let targetsA = try await ScheduleRoutesTests.seed(harness, tenant: harness.tenantA)
            let targetsB = try await ScheduleRoutesTests.seed(harness, tenant: harness.tenantB)
            let ids = try await harness.app().test(.router) { client in
                var ids: [String] = []
                for _ in 0..<3 {
                    let created = try await client.call(
                        .post, "/api/schedules", token: adminA,
                        json: #"{"name":"A","kind":"property-import","every":600000,"importId":"\#(targetsA.importID.lowercasedText)"}"#)
                    ids.append(ScheduleRoutesTests.schedulerID(created.body))
                }
                let created = try await client.call(
                    .post, "/api/schedules", token: adminB,
                    json: #"{"name":"B","kind":"agent-run","pattern":"0 8 * * MON","agentId":"\#(targetsB.agentID.lowercasedText)","prompt":"p"}"#)
                ids.append(ScheduleRoutesTests.schedulerID(created.body))
                return ids
            }
            let imports = harness.queue(QueueName.imports), runs = harness.queue(QueueName.agentRuns)
            // Redis loses two of A's and B's.
            #expect(try await imports.removeJobScheduler(ids[0]))
            #expect(try await imports.removeJobScheduler(ids[2]))
            #expect(try await runs.removeJobScheduler(ids[3]))

            // A small page size makes the pass page through the rows.
            let reconciler = ScheduleReconciler(
                database: harness.database.runtime, queues: harness.queues, pageSize: 2, logger: APIHarness.logger)
            let pass = try await reconciler.reconcile()
            #expect(pass.checked == 4 && pass.restored == 3 && pass.ended == 0)
            #expect(try await imports.jobSchedulerCount() == 3)
            let restored = try #require(try await runs.jobScheduler(ids[3]))
            #expect(restored.tenantID == harness.tenantB.description)
            #expect(restored.schedule?.cadence == .cron(try CronPattern("0 8 * * MON"), timeZone: .utc))
            #expect(try await runs.pendingRun(ofScheduler: ids[3]) != nil)

            let again = try await reconciler.reconcile()
            #expect(again.restored == 0 && again.checked == 4)
        }
    }
}

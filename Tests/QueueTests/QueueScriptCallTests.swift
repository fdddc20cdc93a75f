import Foundation
import NIOCore
import Testing
@testable import Queue
@testable import Redis

/// The Swift ↔ Lua contract, without a server: each script call encodes the KEYS and ARGV its
/// script's header declares, every key stays under the queue's hash tag (Redis Cluster), and
/// every negative status a script can return decodes to a named refusal.
@Suite struct QueueScriptCallTests {
    static let keys = QueueKeys(prefix: "{bull}", queue: "q")

    /// An integer reply, as Redis sends it.
    static func number(_ value: Int) -> RESPToken { RESPToken(validated: ByteBuffer(string: ":\(value)\r\n")) }
    static let fetch = FetchOptions(token: "t", lockDuration: .seconds(5), limiter: .init(max: 3, duration: .seconds(1)), workerName: "w")

    static func entry(_ id: String) throws -> AddJobsCall.Entry {
        AddJobsCall.Entry(job: try NewJob(name: "n", data: ["x": 1], options: .init(jobID: id, tenantID: "t1")), optionsJSON: "{}")
    }

    /// One call of every script, with the per-job entries of the variable ones (two each).
    static func calls() throws -> [(script: String, call: any QueueScriptCall, entries: Int)] {
        [
            ("add_jobs", AddJobsCall(timestamp: 1, entries: [try entry("a"), try entry("b")]), 2),
            ("fetch_job", FetchJobCall(now: 1, options: fetch), 0),
            (
                "finish_job",
                FinishJobCall(
                    jobID: "j", now: 1, target: .completed, value: "null", token: "t", keep: .last(5), attempts: 3,
                    stacktrace: nil, fetchNext: fetch, metricsDataPoints: 60), 0
            ),
            (
                "finish_job",
                FinishJobCall(
                    jobID: "j", now: 1, target: .failed, value: "boom", token: "t", keep: .all, attempts: 3,
                    stacktrace: "[]", fetchNext: nil, metricsDataPoints: 0), 0
            ),
            (
                "retry_job",
                RetryJobCall(
                    jobID: "j", now: 1, token: "t", delayMilliseconds: 10, reason: "r", stacktrace: nil, countsAttempt: true), 0
            ),
            ("extend_locks", ExtendLocksCall(duration: .seconds(5), jobs: [("a", "t"), ("b", "t")]), 2),
            ("recover_stalled", RecoverStalledCall(maxStalledCount: 1, now: 1, interval: .seconds(30)), 0),
            ("pause_queue", PauseQueueCall(action: .pause), 0),
            ("admin_job", AdminJobCall(action: .log, jobID: "j", now: 1, argument: "line", keepLogs: 10), 0),
            ("admin_queue", AdminQueueCall(action: .clean, now: 1, state: "completed", batchSize: 100, grace: .seconds(1)), 0),
            (
                "scheduler_upsert",
                SchedulerUpsertCall(
                    schedulerID: "s", now: 1, expectedCurrent: nil, tenantID: "t1", name: "n", data: "{}", priority: 0,
                    ifReplaced: .init(milliseconds: 5, optionsJSON: "{}"), otherwise: .init(milliseconds: 6, optionsJSON: "{}"),
                    fields: [("name", "n"), ("every", "5")]), 2
            ),
            (
                "scheduler_advance",
                SchedulerAdvanceCall(schedulerID: "s", now: 1, takenJobID: "repeat:s:1", nextRun: 2, optionsJSON: "{}", priority: 0), 0
            ),
            ("scheduler_remove", SchedulerRemoveCall(schedulerID: "s"), 0),
            ("cancel_job", CancelJobCall(jobID: "j"), 0),
            ("hold_queue", HoldQueueCall(milliseconds: 1_000), 0),
            ("wait_for_children", WaitForChildrenCall(jobID: "j", token: "t", now: 1), 0),
            (
                "add_flow",
                AddFlowCall(
                    timestamp: 1,
                    nodes: [
                        .init(
                            keys: QueueKeys(prefix: "{bull}", queue: "p"), jobID: "r", job: NewJob(name: "n", json: "{}"), optionsJSON: "{}",
                            parent: 0, onFailure: .waitForChild),
                        .init(keys: keys, jobID: "c", job: NewJob(name: "n", json: "{}"), optionsJSON: "{}", parent: 1, onFailure: .failParent),
                    ]), 2
            ),
        ]
    }

    static func source(_ script: String) throws -> String {
        try RedisScript.resourceText(script, bundle: QueueScripts.bundleName)
    }

    /// The header's `KEYS:` or `ARGV:` entry: the highest position it numbers ("1-10" counts).
    static func declared(_ section: String, in script: String) throws -> Int {
        let header = try source(script).components(separatedBy: "]]")[0]
        let start = try #require(header.range(of: section + ":"))
        var block = ""
        for line in header[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if !block.isEmpty, line.range(of: #"^\s+[A-Z][A-Za-z ]+:"#, options: .regularExpression) != nil { break }
            block += " " + line
        }
        var highest = block.contains("1-10") ? 10 : 0
        for match in block.matches(of: try Regex(#"(?:^|,|:)\s*(\d+) "#)) {
            if let number = Int(String(match.output[1].substring ?? "")) { highest = max(highest, number) }
        }
        return highest
    }

    /// Values per entry of the scripts that take a list after their fixed ARGV.
    static let perEntry = ["add_jobs": 12, "extend_locks": 2, "scheduler_upsert": 2, "add_flow": 11]
    /// KEYS per entry of the scripts that declare one key per entry (a flow: each job's hash).
    static let keysPerEntry = ["add_flow": 1]

    @Test func everyCallEncodesTheKeysAndArgumentsItsScriptDeclares() throws {
        for (script, call, entries) in try Self.calls() {
            #expect(
                call.allKeys(Self.keys).count == (try Self.declared("KEYS", in: script)) + entries * (Self.keysPerEntry[script] ?? 0),
                "\(script) KEYS")
            let fixed = try Self.declared("ARGV", in: script)
            #expect(call.arguments(Self.keys).count == fixed + entries * (Self.perEntry[script] ?? 0), "\(script) ARGV")
        }
    }

    @Test func everyKeyOfEveryCallIsUnderTheQueuesHashTag() throws {
        for (script, call, _) in try Self.calls() {
            for key in call.allKeys(Self.keys) {
                #expect(QueueKeys.hashTag(of: key) == "bull", "\(script): \(key) leaves the queue's slot")
            }
            // The scripts build job and tenant keys from B (ARGV 1), which carries the tag too.
            // (A flow's jobs each carry their own base, the first at ARGV 2.)
            if script == "add_flow" {
                #expect(call.arguments(Self.keys)[1] == .string(QueueKeys(prefix: "{bull}", queue: "p").base))
            } else if script != "pause_queue" {
                #expect(call.arguments(Self.keys).first == .string(Self.keys.base), "\(script): ARGV 1 is not the base")
            }
        }
    }

    /// The negative numbers a Lua text returns.
    static func negativeReturns(_ text: String) throws -> Set<Int> {
        Set(text.matches(of: try Regex(#"return\s+-(\d+)"#)).compactMap { Int(String($0.output[1].substring ?? "")).map { -$0 } })
    }

    @Test func everyStatusAScriptCanReturnDecodes() throws {
        // lib.lua's refusals all belong to releaseActiveJob, which finish_job and retry_job call.
        let library = try Self.source("lib")
        let release = try #require(library.range(of: "local function releaseActiveJob"))
        let releaseEnd = library[release.upperBound...].range(of: "\nlocal function")?.lowerBound ?? library.endIndex
        #expect(try Self.negativeReturns(library) == Self.negativeReturns(String(library[release.lowerBound..<releaseEnd])))
        // finish_job adds the two refusals of a flow's parent.
        let flowCodes: Set<Int> = [ActiveJobRelease.pendingChildren.rawValue, ActiveJobRelease.failedChild.rawValue]
        let releaseCodes = Set(ActiveJobRelease.allCases.map(\.rawValue))
        #expect(try Self.negativeReturns(library) == releaseCodes.subtracting(flowCodes))

        let known: [String: Set<Int>] = [
            "finish_job": releaseCodes, "retry_job": releaseCodes, "wait_for_children": releaseCodes,
            "admin_job": Set(AdminJobCall.Refusal.allCases.map(\.rawValue)),
            "admin_queue": Set(AdminQueueCall.Refusal.allCases.map(\.rawValue)),
            "scheduler_upsert": Set(SchedulerUpsertCall.Refusal.allCases.map(\.rawValue)),
            "scheduler_advance": Set(SchedulerAdvanceCall.Refusal.allCases.map(\.rawValue)),
            "cancel_job": Set(CancelJobCall.Refusal.allCases.map(\.rawValue)),
        ]
        for script in [
            "add_jobs", "fetch_job", "finish_job", "retry_job", "extend_locks", "recover_stalled", "pause_queue", "admin_job", "admin_queue",
            "scheduler_upsert", "scheduler_advance", "scheduler_remove", "cancel_job", "hold_queue", "add_flow", "wait_for_children",
        ] {
            let text = try Self.source(script)
            var returned = try Self.negativeReturns(text)
            if text.contains("releaseActiveJob(") { returned.formUnion(try Self.negativeReturns(library)) }
            #expect(
                returned.isSubset(of: known[script] ?? []), "\(script) can return \(returned.subtracting(known[script] ?? []).sorted()) with no name")
        }
        // Each refusal decodes from the reply the script sends.
        for status in ActiveJobRelease.allCases {
            #expect(ActiveJobRelease(reply: Self.number(status.rawValue)) == status)
        }
        #expect(ActiveJobRelease(reply: Self.number(-5)) == nil)
        #expect(throws: QueueError.self) { try ActiveJobRelease.check(Self.number(-5), job: "j", operation: "retry") }
        #expect(throws: QueueError.self) { try AdminJobCall.Refusal.check(Self.number(-4), job: "j", action: .remove) }
        #expect(throws: QueueError.self) { _ = try AdminQueueCall.reply(Self.number(-1), queue: "q") }
        try ActiveJobRelease.check(Self.number(0), job: "j", operation: "retry")
    }
}

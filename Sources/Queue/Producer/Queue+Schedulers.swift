import Foundation
public import Redis

/// A job scheduler as stored in Redis (BullMQ's layout: the `repeat` set and `repeat:<id>`
/// hashes), whoever wrote it.
public struct JobScheduler: Sendable, Equatable {
    public let id: String
    /// The name of the jobs it creates.
    public let name: String
    /// `nil` when the stored fields form no schedule this platform can run (a legacy repeatable
    /// job of BullMQ v4, say).
    public let schedule: JobSchedule?
    /// The time of its current run (pending or running), ms since 1970.
    public let next: Int?
    /// Runs created so far.
    public let iterationCount: Int
    /// The job data it gives each job (JSON), and their options (`opts` JSON).
    public let data: String
    public let optionsJSON: String
    public let tenantID: String?
}

/// A scheduler's run: its job and its time.
public struct ScheduledRun: Sendable, Equatable {
    public let jobID: String
    /// ms since 1970.
    public let milliseconds: Int
}

/// What a worker's taking of a scheduler's job did to the scheduler.
public enum SchedulerAdvance: Sendable, Equatable {
    /// The next run's job was added.
    case added(ScheduledRun)
    /// The schedule has no run left (its limit or end date).
    case finished
    /// Not this job's to do: another worker or attempt already did, the scheduler changed or was
    /// removed, or a job for the next run exists.
    case notCurrent
    /// The job carries no schedule this platform can read.
    case unreadable
}

extension Queue {
    /// The longest scheduler id accepted.
    public static let maximumSchedulerIDLength = 200

    /// Creates the scheduler `id`, or changes it in place: its pending job (if any) is replaced by
    /// one for the new schedule, never doubled; a job already running is left to finish. The jobs
    /// get `template`'s name, data and options (no custom id, delay or deduplication: the
    /// scheduler sets those), and its tenant. Compatible with BullMQ's `upsertJobScheduler`: a
    /// BullMQ worker runs these jobs and lists these schedulers, and the other way round.
    @discardableResult
    public func upsertJobScheduler(_ id: String, schedule: JobSchedule, template: NewJob, now: Int? = nil) async throws -> ScheduledRun {
        try Self.validateSchedulerID(id)
        try schedule.validate()
        try validate(template)
        let options = template.options
        if options.jobID != nil { throw QueueError(.invalidOption, "a scheduler's job template cannot set a job id; the scheduler names its jobs") }
        if options.delay != nil { throw QueueError(.invalidOption, "a scheduler's job template cannot set a delay; use the schedule's startDate") }
        if options.deduplication != nil { throw QueueError(.invalidOption, "a scheduler's job template cannot use deduplication") }
        let now = JobSchedule.clamp(now ?? Self.now())
        let templateOptions = StoredJobOptions(options)

        // Read, decide, write; the script refuses if the scheduler changed in between.
        for _ in 0..<8 {
            let replies = try await redis.pipeline([
                RedisCommand("ZSCORE", [.string(keys.schedulers), .string(id)], keyArguments: 0..<1),
                RedisCommand(
                    "HMGET", [.string(keys.scheduler(id)), "every", "pattern", "tz", "startDate", "endDate"], keyArguments: 0..<1),
            ])
            let score = try Double?(fromRESP: replies[0])
            // A score that is no time this platform schedules (written by another client) counts
            // as no current run: the schedule starts afresh.
            let current = score.flatMap { Int(exactly: $0) }.flatMap { (0...CronPattern.latestMilliseconds).contains($0) ? $0 : nil }
            let stored = try [String?](fromRESP: replies[1]) + [String?](repeating: nil, count: 5)
            // The same cadence and bounds: the run in progress keeps its place.
            var unchanged =
                stored[3].flatMap { Int($0) } == schedule.startDate && stored[4].flatMap { Int($0) } == schedule.endDate
            switch schedule.cadence {
            case .every(let milliseconds):
                unchanged = unchanged && stored[0].flatMap { Int($0) } == milliseconds
            case .cron(let pattern, let zone):
                unchanged = unchanged && stored[1] == pattern.text && (stored[2] ?? "UTC") == zone.identifier
            }
            // Not replacing a pending job (new, or its job is running): the run after the current
            // one, or the first run of a changed cadence.
            let after =
                unchanged
                ? current.flatMap { schedule.run(after: $0, now: now) }
                : current.flatMap { schedule.runAfterChange(current: $0, pending: false, now: now) }
            guard let fresh = after ?? schedule.firstRun(now: now) else {
                throw QueueError(.invalidOption, "the schedule has no run left (its endDate has passed or its pattern never fires again)")
            }
            // Replacing a pending job: it keeps its time when the cadence is the same (an upsert
            // that only changes the data does not move the run).
            let kept = unchanged && !schedule.immediately ? current : nil
            let moved = unchanged ? nil : current.flatMap { schedule.runAfterChange(current: $0, pending: true, now: now) }
            let replacing = kept ?? moved ?? schedule.firstRun(now: now) ?? fresh
            var offset: Int?
            if case .every(let every) = schedule.cadence { offset = fresh % every }
            func makeRun(_ milliseconds: Int) -> SchedulerUpsertCall.Run {
                var stored = templateOptions
                stored.jobId = "repeat:\(id):\(milliseconds)"
                stored.delay = max(0, milliseconds - now)
                stored.prevMillis = milliseconds
                stored.repeatJobKey = id
                stored.repeat = StoredRepeat(schedule, count: 1, offset: offset)
                return .init(milliseconds: milliseconds, optionsJSON: stored.json())
            }
            let call = SchedulerUpsertCall(
                schedulerID: id, now: now, expectedCurrent: score, tenantID: options.tenantID, name: template.name, data: template.data,
                priority: options.priority ?? 0, ifReplaced: makeRun(replacing), otherwise: makeRun(fresh),
                fields: Self.schedulerFields(template: template, schedule: schedule, offset: offset, options: templateOptions))
            let reply = try await run(call)
            if case .number(let code) = reply.value {
                switch SchedulerUpsertCall.Refusal(rawValue: Int(code)) {
                case .changed: continue
                case .runExists:
                    throw QueueError(.wrongState, "scheduler \(id) already has a job for its next run; try again after it starts")
                case nil: throw QueueError(.unexpectedReply, "upsert of scheduler \(id) returned \(code)")
                }
            }
            let parts = try [String](fromRESP: reply)
            guard parts.count == 2, let milliseconds = Int(parts[1]) else {
                throw QueueError(.unexpectedReply, "upsert of scheduler \(id) returned \(reply)")
            }
            return ScheduledRun(jobID: parts[0], milliseconds: milliseconds)
        }
        throw QueueError(.wrongState, "scheduler \(id) kept changing while it was being updated; try again")
    }

    /// Removes the scheduler and its pending job (a running one finishes). Returns whether it existed.
    @discardableResult
    public func removeJobScheduler(_ id: String) async throws -> Bool {
        try Self.validateSchedulerID(id)
        return try Int(fromRESP: try await run(SchedulerRemoveCall(schedulerID: id))) == 1
    }

    /// The scheduler `id`, or `nil`.
    public func jobScheduler(_ id: String) async throws -> JobScheduler? {
        try Self.validateSchedulerID(id)
        let replies = try await redis.pipeline([
            RedisCommand("ZSCORE", [.string(keys.schedulers), .string(id)], keyArguments: 0..<1),
            RedisCommand("HGETALL", [.string(keys.scheduler(id))], keyArguments: 0..<1),
        ])
        let next = try Double?(fromRESP: replies[0]).flatMap { Int(exactly: $0) }
        let fields = try [String: String](fromRESP: replies[1])
        return Self.scheduler(id: id, next: next, fields: fields)
    }

    /// Schedulers ordered by their next run, latest first unless `ascending`, `start…end`
    /// inclusive as `ZRANGE` counts (at most 1,000 per call).
    public func jobSchedulers(start: Int = 0, end: Int = 99, ascending: Bool = false) async throws -> [JobScheduler] {
        let start = min(max(0, start), 1_000_000_000)
        let end = min(max(start, end), start + 999)
        let range = try await redis.execute(
            RedisCommand(
                ascending ? "ZRANGE" : "ZREVRANGE", [.string(keys.schedulers), .int(start), .int(end), "WITHSCORES"], keyArguments: 0..<1))
        var members: [(id: String, next: Int?)] = []
        let items = try [RESPToken](fromRESP: range)
        if items.contains(where: { if case .array = $0.value { true } else { false } }) {
            // RESP3: pairs [member, score].
            for item in items {
                let pair = try [RESPToken](fromRESP: item)
                guard pair.count == 2 else { continue }
                members.append((try String(fromRESP: pair[0]), Int(exactly: try Double(fromRESP: pair[1]))))
            }
        } else {
            let flat = try items.map { try String(fromRESP: $0) }
            var index = 0
            while index + 1 < flat.count {
                members.append((flat[index], Double(flat[index + 1]).flatMap { Int(exactly: $0) }))
                index += 2
            }
        }
        guard !members.isEmpty else { return [] }
        let hashes = try await redis.pipeline(members.map { RedisCommand("HGETALL", [.string(keys.scheduler($0.id))], keyArguments: 0..<1) })
        var result: [JobScheduler] = []
        for (member, reply) in zip(members, hashes) {
            if let scheduler = Self.scheduler(id: member.id, next: member.next, fields: try [String: String](fromRESP: reply)) {
                result.append(scheduler)
            }
        }
        return result
    }

    /// Which of `ids` are schedulers of this queue, in one pipelined round trip.
    public func existingSchedulers(_ ids: [String]) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let replies = try await redis.pipeline(
            ids.map { RedisCommand("ZSCORE", [.string(keys.schedulers), .string($0)], keyArguments: 0..<1) })
        var found = Set<String>()
        for (id, reply) in zip(ids, replies) where try Double?(fromRESP: reply) != nil { found.insert(id) }
        return found
    }

    /// How many schedulers the queue has.
    public func jobSchedulerCount() async throws -> Int {
        try await redis.execute(RedisCommand("ZCARD", [.string(keys.schedulers)], keyArguments: 0..<1), as: Int.self)
    }

    /// The time of the scheduler's pending run: its next job, while that job still waits to be
    /// taken. Nil when the scheduler does not exist or has no run left (its limit or end date
    /// reached: the scheduler keeps the time of its last run, as BullMQ's does).
    public func pendingRun(ofScheduler id: String) async throws -> Int? {
        guard let next = try await jobScheduler(id)?.next else { return nil }
        switch try await state(of: "repeat:\(id):\(next)") {
        case .waiting, .delayed, .prioritized: return next
        default: return nil
        }
    }

    /// When a worker takes a scheduler's job: adds the job of the scheduler's next run (once,
    /// however many workers race), unless the schedule has ended. `QueueProcessor` calls it
    /// before running the job.
    public func advanceScheduler(after job: Job, now: Int? = nil) async throws -> SchedulerAdvance {
        guard let id = job.schedulerID, let repeatOptions = job.storedRepeat, let schedule = repeatOptions.schedule else {
            return .unreadable
        }
        let prefix = "repeat:\(id):"
        guard job.id.hasPrefix(prefix), let previous = Int(job.id.dropFirst(prefix.count)) else { return .notCurrent }
        let now = JobSchedule.clamp(now ?? Self.now())
        let (count, overflow) = (repeatOptions.count ?? 1).addingReportingOverflow(1)
        guard !overflow, schedule.allows(count: count), let next = schedule.run(after: previous, now: now) else { return .finished }
        var options = StoredJobOptions(json: job.rawOptions)
        options.jobId = "repeat:\(id):\(next)"
        options.delay = max(0, next - now)
        options.prevMillis = next
        options.repeatJobKey = id
        var nextRepeat = repeatOptions
        nextRepeat.count = count
        options.repeat = nextRepeat
        let reply = try await run(
            SchedulerAdvanceCall(
                schedulerID: id, now: now, takenJobID: job.id, nextRun: next, optionsJSON: options.json(), priority: job.priority))
        if case .number(let code) = reply.value {
            guard SchedulerAdvanceCall.Refusal(rawValue: Int(code)) != nil else {
                throw QueueError(.unexpectedReply, "advancing scheduler \(id) returned \(code)")
            }
            return .notCurrent
        }
        return .added(ScheduledRun(jobID: try String(fromRESP: reply), milliseconds: next))
    }

    // MARK: Helpers

    static func validateSchedulerID(_ id: String) throws(QueueError) {
        guard !id.isEmpty, id.utf8.count <= maximumSchedulerIDLength else {
            throw QueueError(.invalidOption, "a scheduler id must be 1 to \(maximumSchedulerIDLength) bytes long")
        }
    }

    /// The hash fields BullMQ's readers expect (integers as integer text), plus our tenant.
    static func schedulerFields(template: NewJob, schedule: JobSchedule, offset: Int?, options: StoredJobOptions) -> [(String, String)] {
        var fields: [(String, String)] = [("name", template.name)]
        switch schedule.cadence {
        case .every(let milliseconds):
            fields.append(("every", String(milliseconds)))
        case .cron(let pattern, let zone):
            fields.append(("pattern", pattern.text))
            if zone != .utc { fields.append(("tz", zone.identifier)) }
        }
        if let startDate = schedule.startDate { fields.append(("startDate", String(startDate))) }
        if let endDate = schedule.endDate { fields.append(("endDate", String(endDate))) }
        if let limit = schedule.limit { fields.append(("limit", String(limit))) }
        if let offset { fields.append(("offset", String(offset))) }
        let optionsJSON = options.json()
        if optionsJSON != "{}" { fields.append(("opts", optionsJSON)) }
        if template.data != "{}" { fields.append(("data", template.data)) }
        if let tenant = template.options.tenantID { fields.append(("tid", tenant)) }
        return fields
    }

    static func scheduler(id: String, next: Int?, fields: [String: String]) -> JobScheduler? {
        guard !fields.isEmpty else { return nil }
        let stored = StoredRepeat(
            every: fields["every"].flatMap(Int.init), pattern: fields["pattern"], tz: fields["tz"], limit: fields["limit"].flatMap(Int.init),
            startDate: fields["startDate"].flatMap(Int.init), endDate: fields["endDate"].flatMap(Int.init))
        return JobScheduler(
            id: id, name: fields["name"] ?? id, schedule: stored.schedule, next: next, iterationCount: fields["ic"].flatMap(Int.init) ?? 0,
            data: fields["data"] ?? "{}", optionsJSON: fields["opts"] ?? "{}", tenantID: fields["tid"])
    }
}

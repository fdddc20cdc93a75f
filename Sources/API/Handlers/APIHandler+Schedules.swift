import Domain
import Foundation
import Hummingbird
import Jobs
import Logging
import Queue
import Store

/// `/api/schedules`: a tenant's recurring imports, agent runs and notifications, and
/// `/api/admin/schedules`: the schedulers of every queue.
///
/// A schedule is a row of `public.job_schedules` and a job scheduler in Redis (`sch-<id>` on the
/// kind's queue). Writes go to Redis first, where every refusal of the cadence happens, then to
/// PostgreSQL; a failed PostgreSQL write takes the Redis change back. A scheduler left behind
/// anyway (a crash in between, a delete whose Redis step failed) removes itself at its next run,
/// when its trigger finds no row (`ScheduleRunHandler` in the worker).
extension APIHandler {
    func listSchedules(_ input: Operations.ListSchedules.Input) async throws -> Operations.ListSchedules.Output {
        let tenant = try tenant()
        let (limit, offset) = Self.page(limit: input.query.limit, offset: input.query.offset)
        let records = try await database.withTenant(tenant) { tx in try await tx.schedules(limit: limit, offset: offset) }
        var schedules: [Components.Schemas.Schedule] = []
        for record in records { schedules.append(try await scheduleView(record)) }
        return .ok(.init(body: .json(.init(schedules: schedules))))
    }

    func createSchedule(_ input: Operations.CreateSchedule.Input) async throws -> Operations.CreateSchedule.Output {
        let tenant = try tenant(role: .admin)
        let identity = try context.requireIdentity()
        guard case .json(let body) = input.body else { throw HTTPError(.unsupportedMediaType) }
        let kind = try stored(body.kind.rawValue, as: ScheduleKind.self, "kind")
        let cadence = try Self.cadence(every: body.every, pattern: body.pattern, tz: body.tz)
        let action = try Self.action(
            kind: kind, importID: body.importId, agentID: body.agentId, prompt: body.prompt, interventionID: body.interventionId,
            event: body.event?.rawValue, channels: body.channels?.map(\.rawValue))
        let definition = ScheduleDefinition(
            name: TextRules.trimmed(body.name), cadence: cadence, startAt: body.startDate, endAt: body.endDate, limit: body.limit,
            immediately: body.immediately ?? false, action: action)
        try await checkTarget(of: definition, tenant: tenant)

        let id = UUID.random()
        let queue = try scheduleQueue(kind)
        // Redis first: every refusal of the cadence (a pattern that never fires, an end date
        // passed) comes before anything is stored.
        let run = try await queue.upsertSchedule(id, tenant: tenant, definition)
        let record: ScheduleRecord?
        do {
            record = try await database.withTenant(tenant) { tx in try await tx.insertSchedule(id: id, definition, createdBy: identity.userID) }
        } catch {
            await forget(id, on: queue)
            throw error
        }
        guard let record else {
            await forget(id, on: queue)
            throw HTTPError(
                .conflict, message: "the tenant already has \(ScheduleDefinition.maximumPerTenant) schedules, the most it may keep; delete one first")
        }
        return .created(.init(body: .json(.init(schedule: try .init(record, next: run.milliseconds, iterationCount: 0)))))
    }

    func getSchedule(_ input: Operations.GetSchedule.Input) async throws -> Operations.GetSchedule.Output {
        let tenant = try tenant()
        let record = try await findSchedule(try Self.uuid(input.path.id), tenant: tenant)
        return .ok(.init(body: .json(.init(schedule: try await scheduleView(record)))))
    }

    func updateSchedule(_ input: Operations.UpdateSchedule.Input) async throws -> Operations.UpdateSchedule.Output {
        let tenant = try tenant(role: .admin)
        let id = try Self.uuid(input.path.id)
        guard case .json(let patch) = input.body else { throw HTTPError(.unsupportedMediaType) }
        // Checked before the row is locked: the patch's fields, and the target it names.
        let preview = try await findSchedule(id, tenant: tenant)
        let planned = try Self.patched(preview.definition, with: patch)
        if planned.action != preview.definition.action { try await checkTarget(of: planned, tenant: tenant) }
        let queue = try scheduleQueue(preview.kind)

        // Read, change Redis, write the row, all under the row's lock: concurrent PATCHes of one
        // schedule apply one after the other, and Redis ends as the row says.
        enum Outcome: Sendable {
            case notFound
            case failed(any Error)
            case done(ScheduleRecord, ScheduledRun)
        }
        let outcome = try await database.withTenant(tenant) { tx -> Outcome in
            guard let current = try await tx.schedule(id, forUpdate: true) else { return .notFound }
            let definition: ScheduleDefinition
            let run: ScheduledRun
            do {
                definition = try Self.patched(current.definition, with: patch)
                run = try await queue.upsertSchedule(id, tenant: tenant, definition)
            } catch {
                return .failed(error)
            }
            do {
                guard let record = try await tx.updateSchedule(id, definition) else { return .notFound }
                return .done(record, run)
            } catch {
                // Back to the stored cadence, so Redis and the row agree again (no run now).
                var previous = current.definition
                previous.immediately = false
                _ = try? await queue.upsertSchedule(id, tenant: tenant, previous)
                throw error
            }
        }
        switch outcome {
        case .notFound:
            throw HTTPError(.notFound, message: "schedule \(id) not found")
        case .failed(let error):
            throw error
        case .done(let record, let run):
            let scheduler = try await queue.jobScheduler(ScheduleKind.schedulerID(id))
            return .ok(
                .init(
                    body: .json(.init(schedule: try .init(record, next: run.milliseconds, iterationCount: scheduler?.iterationCount ?? 0)))))
        }
    }

    /// `definition` with a PATCH's fields applied (refusals name the field).
    static func patched(_ stored: ScheduleDefinition, with patch: Components.Schemas.SchedulePatch) throws -> ScheduleDefinition {
        var definition = stored
        if let name = patch.name { definition.name = TextRules.trimmed(name) }
        if patch.every != nil || patch.pattern != nil || patch.tz != nil {
            var every = patch.every
            var pattern = patch.pattern
            var zone = patch.tz
            switch definition.cadence {
            case .cron(let current, let currentZone) where every == nil:
                // A zone alone re-times the current pattern; a new pattern alone keeps the zone.
                pattern = pattern ?? current
                zone = zone ?? currentZone
            case .every(let milliseconds) where pattern == nil:
                every = every ?? milliseconds
            default:
                break
            }
            definition.cadence = try Self.cadence(every: every, pattern: pattern, tz: zone)
        }
        let cleared = Set((patch.clear ?? []).map(\.rawValue))
        if let value = patch.startDate { definition.startAt = value } else if cleared.contains("startDate") { definition.startAt = nil }
        if let value = patch.endDate { definition.endAt = value } else if cleared.contains("endDate") { definition.endAt = nil }
        if let value = patch.limit { definition.limit = value } else if cleared.contains("limit") { definition.limit = nil }
        // `immediately` asks for a run now: when a PATCH says so, not again with every change.
        definition.immediately = patch.immediately ?? false
        definition.action = try Self.changed(
            definition.action, importID: patch.importId, agentID: patch.agentId, prompt: patch.prompt, interventionID: patch.interventionId,
            event: patch.event?.rawValue, channels: patch.channels?.map(\.rawValue))
        return definition
    }

    func deleteSchedule(_ input: Operations.DeleteSchedule.Input) async throws -> Operations.DeleteSchedule.Output {
        let tenant = try tenant(role: .admin)
        let id = try Self.uuid(input.path.id)
        let deleted = try await database.withTenant(tenant) { tx -> ScheduleKind? in
            guard let kind = try await tx.schedule(id)?.kind, try await tx.deleteSchedule(id) else { return nil }
            return kind
        }
        guard let kind = deleted else { throw HTTPError(.notFound, message: "schedule \(id) not found") }
        // The row is gone; a scheduler that cannot be removed now removes itself at its next run.
        await forget(id, on: try scheduleQueue(kind))
        return .noContent(.init())
    }

    func listJobSchedulers(_ input: Operations.ListJobSchedulers.Input) async throws -> Operations.ListJobSchedulers.Output {
        let scope = try adminReadScope()
        var tenantFilter = scope.tenantID
        if let asked = input.query.tenant {
            guard let tenant = TenantID(uuidString: asked) else { throw invalid("tenant", "must be a UUID") }
            if let own = scope.tenantID, own != tenant.description {
                throw HTTPError(.forbidden, message: "tenant: a tenant admin sees only its own tenant's schedulers")
            }
            tenantFilter = tenant.description
        }
        let (limit, offset) = Self.page(limit: input.query.limit, offset: input.query.offset)
        var found: [(queue: Components.Schemas.QueueName, scheduler: JobScheduler)] = []
        for name in Components.Schemas.QueueName.allCases {
            let queue = try queue(name)
            var start = 0
            while start < Self.schedulersReadPerQueue {
                let page = try await queue.jobSchedulers(start: start, end: start + Self.schedulerReadPage - 1, ascending: true)
                for scheduler in page where tenantFilter == nil || scheduler.tenantID == tenantFilter {
                    found.append((name, scheduler))
                }
                if page.count < Self.schedulerReadPage { break }
                start += Self.schedulerReadPage
            }
        }
        found.sort { ($0.scheduler.next ?? Int.max, $0.scheduler.id) < ($1.scheduler.next ?? Int.max, $1.scheduler.id) }
        let shown = found.dropFirst(min(offset, found.count)).prefix(limit)
        return .ok(.init(body: .json(.init(schedulers: shown.map { Components.Schemas.JobSchedulerSummary($0.scheduler, queue: $0.queue) }))))
    }

    /// Schedulers read per queue by the admin listing, at most.
    static let schedulersReadPerQueue = 10_000
    static let schedulerReadPage = 500

    // MARK: - Helpers

    private func scheduleQueue(_ kind: ScheduleKind) throws -> Queue {
        try queue(try stored(kind.queue, as: Components.Schemas.QueueName.self, "queue"))
    }

    private func findSchedule(_ id: UUID, tenant: TenantID) async throws -> ScheduleRecord {
        guard let record = try await database.withTenant(tenant, { tx in try await tx.schedule(id) }) else {
            throw HTTPError(.notFound, message: "schedule \(id) not found")
        }
        return record
    }

    /// The schedule with its next run and run count from Redis.
    private func scheduleView(_ record: ScheduleRecord) async throws -> Components.Schemas.Schedule {
        let queue = try scheduleQueue(record.kind)
        let id = ScheduleKind.schedulerID(record.id)
        let scheduler = try await queue.jobScheduler(id)
        let pending = scheduler == nil ? nil : try await queue.pendingRun(ofScheduler: id)
        return try .init(record, next: pending, iterationCount: scheduler?.iterationCount ?? 0)
    }

    /// Removes a schedule's scheduler, logging (not throwing) a failure: its next trigger finds
    /// no row and removes it then.
    private func forget(_ id: UUID, on queue: Queue) async {
        do {
            try await queue.removeSchedule(id)
        } catch {
            dependencies.logger.warning(
                "a schedule's scheduler could not be removed now; it removes itself at its next run",
                metadata: ["schedule": "\(id)", "error": "\(error)"])
        }
    }

    /// 404 unless the import, agent or intervention the schedule runs on is the tenant's; 403 for
    /// an agent whose model the deployment no longer allows.
    private func checkTarget(of definition: ScheduleDefinition, tenant: TenantID) async throws {
        switch definition.action {
        case .propertyImport(let source):
            guard try await database.withTenant(tenant, { tx in try await tx.propertyImport(source) != nil }) else {
                throw HTTPError(.notFound, message: "importId: import \(source) not found")
            }
        case .agentRun(let agentID, _):
            guard let agent = try await database.withTenant(tenant, { tx in try await tx.agent(agentID) }) else {
                throw HTTPError(.notFound, message: "agentId: agent \(agentID) not found")
            }
            if let allowed = dependencies.options.agentModels, !allowed.contains(agent.model) {
                throw HTTPError(.forbidden, message: "agentId: the agent's model '\(agent.model)' is not allowed in this deployment")
            }
        case .notification(let interventionID, _, _):
            guard try await database.withTenant(tenant, { tx in try await tx.intervention(interventionID) != nil }) else {
                throw HTTPError(.notFound, message: "interventionId: intervention \(interventionID) not found")
            }
        }
    }

    /// The cadence from `every` or `pattern` (+ `tz`): exactly one of the two.
    static func cadence(every: Int?, pattern: String?, tz: String?) throws -> ScheduleDefinition.Cadence {
        switch (every, pattern) {
        case (let every?, nil):
            guard tz == nil else { throw invalid("tz", "applies to a pattern only, not to every") }
            return .every(milliseconds: every)
        case (nil, let pattern?):
            return .cron(pattern: pattern, timeZone: tz)
        case (nil, nil):
            throw invalid("every", "give every (milliseconds) or pattern (cron)")
        case (_?, _?):
            throw invalid("every", "give every or pattern, not both")
        }
    }

    /// What a new schedule of `kind` runs; the fields of other kinds are refused.
    static func action(
        kind: ScheduleKind, importID: String?, agentID: String?, prompt: String?, interventionID: String?, event: String?,
        channels: [String]?
    ) throws -> ScheduleDefinition.Action {
        try refuseFields(
            of: kind,
            given: [
                "importId": importID != nil, "agentId": agentID != nil, "prompt": prompt != nil,
                "interventionId": interventionID != nil, "event": event != nil, "channels": channels != nil,
            ])
        switch kind {
        case .propertyImport:
            return .propertyImport(sourceImportID: try required(importID, "importId"))
        case .agentRun:
            guard let prompt else { throw invalid("prompt", "is required for an agent-run schedule") }
            return .agentRun(agentID: try required(agentID, "agentId"), prompt: TextRules.trimmed(prompt))
        case .notification:
            guard let event, let parsed = InterventionEvent(rawValue: event) else {
                throw invalid("event", "is required for a notification schedule")
            }
            let action = ScheduleDefinition.Action.notification(
                interventionID: try required(interventionID, "interventionId"), event: parsed, channels: channels ?? ["webhook"])
            try checkChannels(channels ?? ["webhook"])
            return action
        }
    }

    /// `action` with the given fields changed; fields of another kind are refused.
    static func changed(
        _ action: ScheduleDefinition.Action, importID: String?, agentID: String?, prompt: String?, interventionID: String?,
        event: String?, channels: [String]?
    ) throws -> ScheduleDefinition.Action {
        try refuseFields(
            of: action.kind,
            given: [
                "importId": importID != nil, "agentId": agentID != nil, "prompt": prompt != nil,
                "interventionId": interventionID != nil, "event": event != nil, "channels": channels != nil,
            ])
        switch action {
        case .propertyImport(let source):
            return .propertyImport(sourceImportID: try importID.map { try required($0, "importId") } ?? source)
        case .agentRun(let agent, let oldPrompt):
            return .agentRun(
                agentID: try agentID.map { try required($0, "agentId") } ?? agent, prompt: prompt.map(TextRules.trimmed) ?? oldPrompt)
        case .notification(let intervention, let oldEvent, let oldChannels):
            var newEvent = oldEvent
            if let event {
                guard let parsed = InterventionEvent(rawValue: event) else { throw invalid("event", "is not an intervention event") }
                newEvent = parsed
            }
            if let channels { try checkChannels(channels) }
            return .notification(
                interventionID: try interventionID.map { try required($0, "interventionId") } ?? intervention, event: newEvent,
                channels: channels ?? oldChannels)
        }
    }

    private static let fieldsByKind: [ScheduleKind: Set<String>] = [
        .propertyImport: ["importId"], .agentRun: ["agentId", "prompt"], .notification: ["interventionId", "event", "channels"],
    ]

    private static func refuseFields(of kind: ScheduleKind, given: [String: Bool]) throws {
        let allowed = fieldsByKind[kind] ?? []
        for (field, present) in given.sorted(by: { $0.key < $1.key }) where present && !allowed.contains(field) {
            throw invalid(field, "does not apply to a \(kind.rawValue) schedule")
        }
    }

    private static func required(_ text: String?, _ field: String) throws -> UUID {
        guard let text else { throw invalid(field, "is required") }
        guard let id = UUID(text: text) else { throw invalid(field, "must be a UUID") }
        return id
    }

    private static func checkChannels(_ channels: [String]) throws {
        for channel in channels where !NotificationJob.supportedChannels.contains(channel) {
            throw invalid("channels", "unknown channel '\(channel)' (supported: webhook)")
        }
    }
}

extension Components.Schemas.Schedule {
    init(_ record: ScheduleRecord, next: Int?, iterationCount: Int) throws {
        let definition = record.definition
        var every: Int?
        var pattern: String?
        var zone: String?
        switch definition.cadence {
        case .every(let milliseconds): every = milliseconds
        case .cron(let text, let timeZone):
            pattern = text
            zone = timeZone
        }
        var importID: String?
        var agentID: String?
        var prompt: String?
        var interventionID: String?
        var event: Components.Schemas.InterventionEvent?
        var channels: [String]?
        switch definition.action {
        case .propertyImport(let source): importID = source.lowercasedText
        case .agentRun(let agent, let text):
            agentID = agent.lowercasedText
            prompt = text
        case .notification(let intervention, let name, let list):
            interventionID = intervention.lowercasedText
            event = try stored(name.rawValue, as: Components.Schemas.InterventionEvent.self, "event")
            channels = list
        }
        self.init(
            id: record.id.lowercasedText, name: definition.name,
            kind: try stored(record.kind.rawValue, as: Components.Schemas.ScheduleKind.self, "kind"),
            queue: try stored(record.kind.queue, as: Components.Schemas.QueueName.self, "queue"), every: every, pattern: pattern, tz: zone,
            startDate: definition.startAt, endDate: definition.endAt, limit: definition.limit, immediately: definition.immediately,
            importId: importID, agentId: agentID, prompt: prompt, interventionId: interventionID, event: event, channels: channels,
            nextRunAt: next.map(APIHandler.date), iterationCount: iterationCount, createdAt: record.createdAt, updatedAt: record.updatedAt)
    }
}

extension Components.Schemas.JobSchedulerSummary {
    init(_ scheduler: JobScheduler, queue: Components.Schemas.QueueName) {
        var every: Int?
        var pattern: String?
        var zone: String?
        switch scheduler.schedule?.cadence {
        case .every(let milliseconds)?: every = milliseconds
        case .cron(let cron, let timeZone)?:
            pattern = cron.text
            zone = timeZone.identifier
        case nil: break
        }
        self.init(
            id: scheduler.id, queue: queue, name: scheduler.name, tenantId: scheduler.tenantID,
            scheduleId: ScheduleKind.scheduleID(inScheduler: scheduler.id)?.lowercasedText, every: every, pattern: pattern, tz: zone,
            limit: scheduler.schedule?.limit, endDate: scheduler.schedule?.endDate.map(APIHandler.date),
            nextRunAt: scheduler.next.map(APIHandler.date), iterationCount: scheduler.iterationCount)
    }
}

import Domain
import Foundation
import OpenAPIRuntime
import Queue

extension OpenAPIValueContainer {
    /// Stored JSON text (a job's progress or return value, a journal step) as any-JSON for the
    /// generated types; `nil` when the text is not JSON.
    init?(jsonText text: String) {
        guard let value = JSONValue(text: text) else { return nil }
        self.init(json: value)
    }

    init(json value: JSONValue) {
        // Only JSON-shaped values go in, which the container always accepts.
        self = (try? OpenAPIValueContainer(unvalidatedValue: Self.sendable(value))) ?? nil
    }

    private static func sendable(_ value: JSONValue) -> (any Sendable)? {
        switch value {
        case .null: return nil
        case .bool(let bool): return bool
        case .string(let string): return string
        case .number(let number):
            if number.rounded() == number, abs(number) < 9e15 { return Int(number) }
            return number
        case .array(let array): return array.map(sendable)
        case .object(let object): return object.mapValues(sendable)
        }
    }
}

extension Components.Schemas.Job {
    /// A job as the API shows it to its tenant.
    init(_ job: Job, state: JobState) throws {
        self.init(
            id: job.id, queue: try stored(job.queue, as: Components.Schemas.QueueName.self, "queue"), name: job.name,
            state: try stored(state.rawValue, as: Components.Schemas.JobState.self, "job state"),
            progress: job.progress.flatMap(OpenAPIValueContainer.init(jsonText:)), attemptsMade: job.attemptsMade,
            returnValue: job.returnValue.flatMap(OpenAPIValueContainer.init(jsonText:)), failedReason: job.failedReason,
            createdAt: APIHandler.date(job.timestamp),
            processedAt: job.processedOn.map(APIHandler.date),
            finishedAt: job.finishedOn.map(APIHandler.date))
    }

    /// A job just added with `options`, as of the moment it was added (no read back from Redis).
    init(enqueued id: String, queue: Components.Schemas.QueueName, name: String, options: JobOptions, at date: Date = Date()) {
        let state: Components.Schemas.JobState
        if let delay = options.delay, delay > .zero {
            state = .delayed
        } else if let priority = options.priority, priority > 0 {
            state = .prioritized
        } else {
            state = .waiting
        }
        self.init(id: id, queue: queue, name: name, state: state, attemptsMade: 0, createdAt: date)
    }
}

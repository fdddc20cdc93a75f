import Domain
import Foundation
import HTTPTypes
public import Hummingbird
import NIOCore
public import Queue

/// `GET /api/jobs/:queue/:id/events`: a job's life as Server-Sent Events, for live progress bars.
///
/// The stream opens with a `state` event (the job as `GET /api/jobs/:queue/:id` shows it), then
/// relays the job's `active`, `progress`, `delayed`, `waiting`, `completed`, `failed` and
/// `removed` events from the queue's event stream, each with the stream entry id as SSE `id`,
/// and ends after `completed`, `failed` or `removed`. A client reconnecting with `Last-Event-ID`
/// resumes right after that entry. A comment line is sent whenever nothing happened for
/// `heartbeat`, so proxies keep the connection open and a gone client is noticed.
struct JobEventStream: Sendable {
    let queue: Queue
    let job: Job
    let heartbeat: Duration

    static let relayed: Set<String> = ["active", "progress", "delayed", "waiting", "completed", "failed", "removed"]
    static let terminal: Set<String> = ["completed", "failed", "removed"]

    /// A Redis stream id (`1700000000000-0`), or `nil`.
    static func streamID(_ text: String) -> String? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.count <= 20 && $0.allSatisfy(\.isNumber) }) else { return nil }
        return text
    }

    func response(lastEventID: String?) async throws -> Response {
        // Pin the position before reading the state: whatever happens next is in the stream.
        let start: String
        if let lastEventID { start = lastEventID } else { start = try await queue.lastEventID() }
        let snapshot = lastEventID == nil ? JobView(job, state: try await queue.state(of: job.id)) : nil
        let stream = self
        let body = ResponseBody { writer in
            if let snapshot {
                try await writer.write(Self.frame(id: nil, event: "state", data: try Self.encode(snapshot)))
                if Self.terminal.contains(snapshot.state) {
                    try await writer.finish(nil)
                    return
                }
            }
            try await stream.relay(after: start, to: &writer)
            try await writer.finish(nil)
        }
        var headers: HTTPFields = [:]
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        headers[.accelBuffering] = "no"
        return Response(status: .ok, headers: headers, body: body)
    }

    /// Writes the job's events until a terminal one, the client leaves, or the task is cancelled.
    func relay(after start: String, to writer: inout any ResponseBodyWriter) async throws {
        var lastID = start
        while !Task.isCancelled {
            let events = try await queue.readEvents(after: lastID, count: 100, block: heartbeat)
            if events.isEmpty {
                try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                continue
            }
            for event in events {
                lastID = event.id
                guard event.jobID == job.id, Self.relayed.contains(event.name) else { continue }
                try await writer.write(Self.frame(id: event.id, event: event.name, data: try Self.encode(Self.payload(of: event))))
                if Self.terminal.contains(event.name) { return }
            }
        }
    }

    /// The JSON an event carries: stored JSON stays JSON.
    static func payload(of event: QueueEvent) -> [String: JSONValue] {
        var payload: [String: JSONValue] = ["jobId": .string(event.jobID ?? "")]
        switch event.name {
        case "progress":
            payload["progress"] = event.fields["data"].map { JSONValue(text: $0) ?? .string($0) } ?? .null
        case "completed":
            payload["returnValue"] = event.fields["returnvalue"].map { JSONValue(text: $0) ?? .string($0) } ?? .null
        case "failed":
            payload["failedReason"] = .string(event.fields["failedReason"] ?? "")
        case "delayed":
            if let delay = event.fields["delay"], let due = Double(delay) { payload["until"] = .number(due) }
        default:
            if let previous = event.fields["prev"] { payload["previous"] = .string(previous) }
        }
        return payload
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func frame(id: String?, event: String, data: String) -> ByteBuffer {
        var text = ""
        if let id { text += "id: \(id)\n" }
        text += "event: \(event)\ndata: \(data)\n\n"
        return ByteBuffer(string: text)
    }
}

import Domain
import Queue

/// The JSON an SSE event carries: `{"jobId": …}` plus, by event, the progress, the return value
/// (stored JSON stays JSON), the failure reason, the due time of a delay, or the previous state.
struct JobEventPayload {
    let json: String

    init(_ event: QueueEvent) {
        var payload: [String: JSONValue] = ["jobId": .string(event.jobID ?? "")]
        switch JobEventName(rawValue: event.name) {
        case .progress:
            payload["progress"] = event.fields["data"].map { JSONValue(text: $0) ?? .string($0) } ?? .null
        case .completed:
            payload["returnValue"] = event.fields["returnvalue"].map { JSONValue(text: $0) ?? .string($0) } ?? .null
        case .failed:
            payload["failedReason"] = .string(event.fields["failedReason"] ?? "")
        case .delayed:
            if let delay = event.fields["delay"], let due = Double(delay), due.isFinite { payload["until"] = .number(due) }
        default:
            if let previous = event.fields["prev"] { payload["previous"] = .string(previous) }
        }
        json = JSONValue.object(payload).text
    }
}

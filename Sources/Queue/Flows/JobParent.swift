import Foundation

/// The parent of a flow's child, as its `parent` hash field names it (BullMQ's JSON
/// `{"id", "queueKey"}`, plus the child's failure flag).
public struct JobParent: Sendable, Equatable {
    public let id: String
    /// `<prefix>:<queue>` of the parent's queue.
    public let queueKey: String

    public init(id: String, queueKey: String) {
        self.id = id
        self.queueKey = queueKey
    }

    /// The parent named by a stored `parent` field; nil when it is not that JSON.
    init?(json text: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
            let id = object["id"] as? String, let queueKey = object["queueKey"] as? String
        else { return nil }
        self.init(id: id, queueKey: queueKey)
    }

    /// The parent's queue name (what follows the prefix in `queueKey`).
    public var queueName: Substring {
        queueKey.lastIndex(of: ":").map { queueKey[queueKey.index(after: $0)...] } ?? Substring(queueKey)
    }
}

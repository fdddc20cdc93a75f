/// A queue operation that could not be done, with a message a caller can act on.
public struct QueueError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// The job data is larger than the queue accepts.
        public static let dataTooLarge = Code(name: "dataTooLarge")
        /// The job data is not valid JSON.
        public static let invalidData = Code(name: "invalidData")
        public static let invalidJobID = Code(name: "invalidJobID")
        public static let invalidOption = Code(name: "invalidOption")
        public static let jobNotFound = Code(name: "jobNotFound")
        /// The worker's lock on the job expired or another worker took the job over.
        public static let lockLost = Code(name: "lockLost")
        /// The job is not in the state the operation needs.
        public static let wrongState = Code(name: "wrongState")
        /// The job is being processed (locked) and cannot be removed.
        public static let jobLocked = Code(name: "jobLocked")
        /// Obliterate needs a paused queue.
        public static let notPaused = Code(name: "notPaused")
        /// Obliterate found active jobs and was not forced.
        public static let activeJobs = Code(name: "activeJobs")
        /// A flow's parent cannot complete: some of its children have not finished.
        public static let childrenPending = Code(name: "childrenPending")
        /// A flow's parent cannot complete: a child failed it (`failParent`).
        public static let childFailed = Code(name: "childFailed")
        /// Redis answered something the queue does not understand.
        public static let unexpectedReply = Code(name: "unexpectedReply")
        /// The Lua scripts are missing from the installation.
        public static let scriptsMissing = Code(name: "scriptsMissing")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "queue \(code): \(message)" }
}

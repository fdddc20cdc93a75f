import Redis

/// add_jobs.lua: a batch of jobs added in one call (twelve ARGV values per job).
struct AddJobsCall: QueueScriptCall {
    static var script: KeyPath<QueueScripts, RedisScript> { \.addJobs }

    /// One job as the script takes it: its options already encoded as BullMQ's `opts` JSON.
    struct Entry: Sendable {
        var job: NewJob
        var optionsJSON: String
    }

    var timestamp: Int
    var entries: [Entry]

    func keys(_ keys: QueueKeys) -> [String] { [keys.idCounter] }

    func arguments(_ keys: QueueKeys) -> [RedisArgument] {
        var arguments: [RedisArgument] = [.string(keys.base), .int(timestamp)]
        arguments.reserveCapacity(2 + entries.count * 12)
        for entry in entries {
            let options = entry.job.options
            let dedup = options.deduplication
            arguments += [
                .string(options.jobID ?? ""), .string(entry.job.name), .string(entry.job.data), .string(entry.optionsJSON),
                .int(options.delay?.milliseconds ?? 0), .int(options.priority ?? 0), options.lifo ? "1" : "0",
                .string(dedup?.id ?? ""), .int(dedup?.ttl?.milliseconds ?? 0), dedup?.extend == true ? "1" : "0",
                dedup?.replace == true ? "1" : "0", .string(options.tenantID ?? ""),
            ]
        }
        return arguments
    }
}

import Foundation
import Redis

/// The queue's Lua scripts: each `.lua` resource with `lib.lua` prepended, as `RedisScript`s
/// (SHA1 of the combined source, loaded on `NOSCRIPT`).
struct QueueScripts: Sendable {
    let addJobs: RedisScript
    let fetchJob: RedisScript
    let finishJob: RedisScript
    let retryJob: RedisScript
    let extendLocks: RedisScript
    let recoverStalled: RedisScript
    let pauseQueue: RedisScript
    let adminJob: RedisScript
    let adminQueue: RedisScript

    /// Loaded once per process.
    static let shared: Result<QueueScripts, QueueError> = Result { () throws(QueueError) -> QueueScripts in
        let library = try source("lib")
        func script(_ name: String) throws(QueueError) -> RedisScript {
            RedisScript(name: name, source: library + "\n-- " + name + ".lua\n" + (try source(name)))
        }
        return QueueScripts(
            addJobs: try script("add_jobs"), fetchJob: try script("fetch_job"), finishJob: try script("finish_job"),
            retryJob: try script("retry_job"), extendLocks: try script("extend_locks"),
            recoverStalled: try script("recover_stalled"), pauseQueue: try script("pause_queue"),
            adminJob: try script("admin_job"), adminQueue: try script("admin_queue"))
    }

    private static func source(_ name: String) throws(QueueError) -> String {
        for directory in resourceDirectories {
            let url = directory.appendingPathComponent("\(name).lua")
            if let text = try? String(contentsOf: url, encoding: .utf8) { return text }
        }
        throw QueueError(
            .scriptsMissing,
            "the queue script \(name).lua was not found; install the \(bundleName) directory next to the obotcall binary "
                + "(searched \(resourceDirectories.map(\.path).joined(separator: ", ")))")
    }

    /// SwiftPM's resource bundle of this target, looked up without `Bundle.module` (whose accessor
    /// traps when the bundle is missing): beside the executable, then `$OBOTCALL_RESOURCES`.
    static let bundleName = "obotcall-jobs_Queue.resources"

    static var resourceDirectories: [URL] {
        var directories: [URL] = []
        if let override = ProcessInfo.processInfo.environment["OBOTCALL_RESOURCES"], !override.isEmpty {
            directories.append(URL(fileURLWithPath: override).appendingPathComponent(bundleName))
        }
        directories.append(Bundle.main.bundleURL.appendingPathComponent(bundleName))
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            directories.append(executable.deletingLastPathComponent().appendingPathComponent(bundleName))
        }
        return directories
    }
}

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
    let schedulerUpsert: RedisScript
    let schedulerAdvance: RedisScript
    let schedulerRemove: RedisScript
    let cancelJob: RedisScript
    let holdQueue: RedisScript
    let addFlow: RedisScript
    let waitForChildren: RedisScript
    let tenantAdmin: RedisScript

    /// Loaded once per process.
    static let shared: Result<QueueScripts, QueueError> = Result { () throws(QueueError) -> QueueScripts in
        do {
            let library = try RedisScript.resourceText("lib", bundle: bundleName)
            func script(_ name: String) throws -> RedisScript {
                try RedisScript.resource(name, bundle: bundleName, prelude: library)
            }
            return QueueScripts(
                addJobs: try script("add_jobs"), fetchJob: try script("fetch_job"), finishJob: try script("finish_job"),
                retryJob: try script("retry_job"), extendLocks: try script("extend_locks"),
                recoverStalled: try script("recover_stalled"), pauseQueue: try script("pause_queue"),
                adminJob: try script("admin_job"), adminQueue: try script("admin_queue"),
                schedulerUpsert: try script("scheduler_upsert"), schedulerAdvance: try script("scheduler_advance"),
                schedulerRemove: try script("scheduler_remove"), cancelJob: try script("cancel_job"),
                holdQueue: try script("hold_queue"), addFlow: try script("add_flow"), waitForChildren: try script("wait_for_children"),
                tenantAdmin: try script("tenant_admin"))
        } catch {
            throw QueueError(.scriptsMissing, "\(error)")
        }
    }

    /// SwiftPM's resource bundle of this target.
    static let bundleName = "obotcall-jobs_Queue.resources"
}

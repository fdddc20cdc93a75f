import Domain
import Jobs
import Queue
import Testing

/// Finished jobs never stay in Redis forever: the platform's kinds carry the retention, and the
/// queues every process opens apply it to jobs that carry none (a BullMQ producer's).
struct RetentionTests {
    @Test func everyPlatformKindAndEveryQueueCarryTheRetention() {
        for options in [NotificationJob.defaultOptions, PropertyImportJob.defaultOptions, AgentRunJob.defaultOptions] {
            #expect(options.removeOnComplete == Retention.completed)
            #expect(options.removeOnFail == Retention.failed)
        }
        let queue = QueueOptions.platform(prefix: "bull")
        #expect(queue.defaultRemoveOnComplete == Retention.completed)
        #expect(queue.defaultRemoveOnFail == Retention.failed)
        #expect(Retention.completed != .all && Retention.failed != .all)
    }
}

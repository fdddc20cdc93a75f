import Domain
import Foundation
import Jobs
import Logging
import Queue
import Redis
import Testing
import TestSupport

/// The platform's job kinds declare their queue, name and policy in one place (`Sources/Jobs`),
/// and a typed add carries them; no I/O here.
@Suite struct TenantJobTests {
    static let tenant = TenantID(UUID())

    static func check<Job: TenantJob & Equatable>(_ payload: Job) throws {
        let options = payload.options(jobID: "fixed-1")
        #expect(options.jobID == "fixed-1")
        #expect(options.tenantID == tenant.description)
        #expect(options.attempts == Job.defaultOptions.attempts)
        #expect(options.backoff == Job.defaultOptions.backoff)
        // Every kind's finished jobs leave Redis eventually.
        #expect(Job.defaultOptions.removeOnComplete != nil)
        #expect(payload.options().jobID == nil)
        let job = try payload.newJob()
        #expect(job.name == Job.name)
        #expect(try JSONDecoder().decode(Job.self, from: Data(job.data.utf8)) == payload)
        #expect(QueueName.all.contains(Job.queue))
    }

    @Test func everyKindCarriesItsPolicyAndTenant() throws {
        try Self.check(NotificationJob(tenantID: Self.tenant, interventionID: UUID(), event: .completed))
        try Self.check(PropertyImportJob(tenantID: Self.tenant, importID: UUID()))
        try Self.check(AgentRunJob(tenantID: Self.tenant, runID: UUID()))
        #expect(Set([NotificationJob.queue, PropertyImportJob.queue, AgentRunJob.queue]).count == 3)
    }

    @Test func aKindIsRefusedOnAnotherQueue() throws {
        // Nothing is sent: the check happens before Redis.
        let redis = RedisClient(configuration: try RedisConfiguration(url: "redis://127.0.0.1:1"), logger: .init(label: "test"))
        let imports = try Queue(name: QueueName.imports, redis: redis)
        let error = #expect(throws: QueueError.self) { try imports.checkKind(NotificationJob.self) }
        #expect(error?.code == .invalidOption)
        #expect(error?.message.contains(QueueName.notifications) == true)
        try imports.checkKind(PropertyImportJob.self)
    }
}

import Foundation
import Redis
import Testing
import TestSupport
@testable import Queue

/// The fair queue under the load: 50,000 jobs run by 40 slots saturate Redis, so
/// scripts/test runs this suite in a phase of its own, where it slows no timed test.
struct FairQueueLoadTests {
    /// The starvation case: ta has 50,000 jobs queued and 2 workers × concurrency 20 run
    /// them; then tb adds 10. Each of tb's jobs starts within (active tenants × concurrency)
    /// fetches of being added, counted exactly in the order the scripts logged them: the
    /// `active` events between tb's `added` event and that job's own `active` event.
    @Test func aBacklogDoesNotStarveAnotherTenant() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.makeFair()
            _ = try await FairQueueTests.add(queue, tenant: "ta", count: 50_000)
            let starts = Recorder<String>()
            let options = ProcessorOptions(concurrency: 20, drainDelay: .milliseconds(200))
            let handler: QueueProcessor.Handler = { context in
                starts.append(context.job.tenantID ?? "-")
                return nil
            }
            let (mark, late) = try await QueueTesting.withProcessor(queue, options: options, handler: handler) { (_: QueueProcessor) async throws in
                try await QueueTesting.withProcessor(queue, options: options, handler: handler) { (_: QueueProcessor) async throws in
                    #expect(try await QueueTesting.eventually { starts.count >= 1_000 })
                    let mark = try await queue.lastEventID()
                    let late = try await FairQueueTests.add(queue, tenant: "tb", count: 10)
                    #expect(try await QueueTesting.eventually { starts.all.filter { $0 == "tb" }.count == 10 })
                    return (mark, late)
                }
            }
            let events = try await queue.readEvents(after: mark, count: 1_000_000, block: nil)
            let lateIDs = Set(late)
            let firstAdd = try #require(events.firstIndex { $0.name == "added" && lateIDs.contains($0.jobID ?? "") })
            var fetches = 0
            var delays: [String: Int] = [:]
            for event in events[firstAdd...] where event.name == "active" {
                if let id = event.jobID, lateIDs.contains(id), delays[id] == nil { delays[id] = fetches }
                fetches += 1
            }
            #expect(delays.count == 10, "tb's starts in the events: \(delays)")
            // 2 active tenants × concurrency 40 (2 workers × 20).
            #expect(delays.values.allSatisfy { $0 <= 2 * 40 }, "tb's jobs started \(delays.values.sorted()) fetches after being added")
            #expect(try await 50_000 - FairQueueTests.queued(queue, "ta") > 1_000)
        }
    }
}

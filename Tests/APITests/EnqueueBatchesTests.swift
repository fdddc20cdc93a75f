import Testing
@testable import API

/// The batching bookkeeping of the notification enqueue path, without I/O.
@Suite struct EnqueueBatchesTests {
    typealias Batches = EnqueueBatches<String, Int>

    static func ran(_ action: Batches.Action) -> [Int]? {
        if case .run(let batch) = action { return batch }
        return nil
    }

    static func waited(_ action: Batches.Action) -> Bool {
        if case .wait = action { return true }
        return false
    }

    @Test func anEnqueueRunsAloneAtOnceWhileTheLaneHasRoom() {
        var batches = Batches(maxInFlight: 2, maxBatch: 10, maxWaiting: 100)
        #expect(Self.ran(batches.submit(1, key: "a")) == [1])
        #expect(Self.ran(batches.submit(2, key: "a")) == [2])
        #expect(batches.load(of: "a") == (2, 0))
        // Another tenant has its own lane.
        #expect(Self.ran(batches.submit(3, key: "b")) == [3])
    }

    @Test func waitersBecomeTheNextBatchInOrderUpToTheBatchSize() {
        var batches = Batches(maxInFlight: 1, maxBatch: 3, maxWaiting: 100)
        #expect(Self.ran(batches.submit(0, key: "a")) == [0])
        for waiter in 1...5 { #expect(Self.waited(batches.submit(waiter, key: "a"))) }
        #expect(batches.load(of: "a") == (1, 5))
        // The batch that finished hands its slot to the next batch: still one running.
        #expect(batches.finished(key: "a") == [1, 2, 3])
        #expect(batches.load(of: "a") == (1, 2))
        #expect(batches.finished(key: "a") == [4, 5])
        #expect(batches.finished(key: "a") == nil)
        #expect(batches.load(of: "a") == (0, 0))
        #expect(batches.activeKeys == 0)
        // An idle lane runs the next enqueue at once again.
        #expect(Self.ran(batches.submit(6, key: "a")) == [6])
    }

    @Test func beyondTheWaitingLimitAnEnqueueIsRefused() {
        var batches = Batches(maxInFlight: 1, maxBatch: 10, maxWaiting: 2)
        _ = batches.submit(0, key: "a")
        #expect(Self.waited(batches.submit(1, key: "a")))
        #expect(Self.waited(batches.submit(2, key: "a")))
        guard case .refuse = batches.submit(3, key: "a") else {
            Issue.record("a third waiter must be refused")
            return
        }
        #expect(batches.load(of: "a") == (1, 2))
        // Other tenants are not affected by one tenant's backlog.
        #expect(Self.ran(batches.submit(4, key: "b")) == [4])
    }

    @Test func lanesAreForgottenWhenIdle() {
        var batches = Batches(maxInFlight: 2, maxBatch: 10, maxWaiting: 10)
        _ = batches.submit(1, key: "a")
        _ = batches.submit(2, key: "a")
        #expect(batches.finished(key: "a") == nil)
        #expect(batches.activeKeys == 1)
        #expect(batches.finished(key: "a") == nil)
        #expect(batches.activeKeys == 0)
        // A finish for an unknown lane changes nothing.
        #expect(batches.finished(key: "z") == nil)
        #expect(batches.activeKeys == 0)
    }

    @Test func limitsBelowOneAreRaisedToOne() {
        var batches = Batches(maxInFlight: 0, maxBatch: 0, maxWaiting: -5)
        #expect(Self.ran(batches.submit(1, key: "a")) == [1])
        guard case .refuse = batches.submit(2, key: "a") else {
            Issue.record("no waiting is allowed with maxWaiting below one")
            return
        }
    }
}

import Testing
@testable import Redis

/// The pool's decisions, driven by hand: fake connections, a fake clock, waiters as numbers.
/// No server, no sleeping; every timer is an event the test sends at the instant it chooses.
struct RedisPoolStateMachineTests {
    /// A connection the test can close under the state machine's feet.
    final class FakeConnection: RedisPoolConnection, CustomStringConvertible {
        let id: Int
        var isClosed = false
        init(_ id: Int) { self.id = id }
        var description: String { "connection \(id)" }
    }

    /// Time as an offset from the start of the test.
    struct FakeInstant: InstantProtocol, CustomStringConvertible {
        var offset: Duration
        static let zero = FakeInstant(offset: .zero)
        func advanced(by duration: Duration) -> FakeInstant { FakeInstant(offset: offset + duration) }
        func duration(to other: FakeInstant) -> Duration { other.offset - offset }
        static func < (lhs: FakeInstant, rhs: FakeInstant) -> Bool { lhs.offset < rhs.offset }
        var description: String { "t+\(offset)" }
    }

    typealias Pool = RedisPoolStateMachine<FakeConnection, Int, FakeInstant>

    static func pool(
        shared: Int = 1, minimum: Int = 0, maximumLeased: Int = 2, idleTimeout: Duration = .seconds(60),
        leaseTimeout: Duration = .seconds(10), backoff: (Duration, Duration) = (.milliseconds(50), .seconds(5))
    ) -> Pool {
        Pool(
            options: .init(
                sharedConnections: shared, minimumConnections: minimum, maximumLeased: maximumLeased,
                idleTimeout: idleTimeout, leaseTimeout: leaseTimeout, backoffInitial: backoff.0, backoffMaximum: backoff.1))
    }

    static func at(_ seconds: Double) -> FakeInstant { FakeInstant(offset: .milliseconds(Int64(seconds * 1_000))) }

    /// Waiter `waiter` leases a newly opened connection at time zero.
    static func leaseNew(_ pool: inout Pool, waiter: Int, connection id: Int) -> FakeConnection {
        let attempt = pool.lease(id: waiter, waiter: waiter, deadline: at(10), now: .zero).connect[0]
        let connection = FakeConnection(id)
        _ = pool.connectSucceeded(attempt, connection: connection, now: .zero)
        return connection
    }

    /// The waiters handed a connection, as (waiter, connection id).
    static func handed(_ actions: Pool.Actions) -> [[Int]] {
        actions.handouts.compactMap { handout in
            guard case .success(let connection) = handout.result else { return nil }
            return [handout.waiter, connection.id]
        }
    }

    /// The waiters refused, as (waiter, reason).
    static func refused(_ actions: Pool.Actions) -> [Int: Pool.Refusal] {
        var result: [Int: Pool.Refusal] = [:]
        for handout in actions.handouts {
            if case .failure(let refusal) = handout.result { result[handout.waiter] = refusal }
        }
        return result
    }

    // MARK: Lease and release

    @Test func aLeaseOpensAConnectionThenReusesTheReleasedOne() {
        var pool = Self.pool()
        #expect(pool.leaseIdle().isMustWait)
        let first = pool.lease(id: 1, waiter: 1, deadline: Self.at(10), now: Self.at(0))
        #expect(first.handouts.isEmpty)
        #expect(first.connect.map(\.purpose) == [.lease])
        #expect(first.connect.first?.delay == nil)
        let connection = FakeConnection(7)
        let opened = pool.connectSucceeded(first.connect[0], connection: connection, now: Self.at(0.01))
        #expect(Self.handed(opened) == [[1, 7]])

        #expect(pool.release(connection, now: Self.at(1)).isEmpty)
        #expect(pool.idleCount == 1)
        // The next lease takes it without a new connection.
        #expect(pool.leaseIdle().connectionID == 7)
        #expect(pool.leasedSideCount == 1)
    }

    @Test func leasesBeyondTheMaximumWaitInLineForReleasedConnections() {
        var pool = Self.pool(maximumLeased: 2)
        var attempts: [Pool.ConnectAttempt] = []
        for waiter in 1...4 {
            attempts += pool.lease(id: waiter, waiter: waiter, deadline: Self.at(10), now: Self.at(0)).connect
        }
        // Two connections at most, whatever the number waiting.
        #expect(attempts.count == 2)
        #expect(pool.waitingForLease == 4)
        let a = FakeConnection(1), b = FakeConnection(2)
        #expect(Self.handed(pool.connectSucceeded(attempts[1], connection: b, now: Self.at(0.1))) == [[1, 2]])
        #expect(Self.handed(pool.connectSucceeded(attempts[0], connection: a, now: Self.at(0.1))) == [[2, 1]])
        // First come, first served as connections come back.
        #expect(Self.handed(pool.release(b, now: Self.at(1))) == [[3, 2]])
        #expect(Self.handed(pool.release(a, now: Self.at(2))) == [[4, 1]])
        #expect(pool.waitingForLease == 0)
    }

    @Test func aClosedConnectionReleasedMakesRoomForANewOne() {
        var pool = Self.pool(maximumLeased: 1)
        let connection = Self.leaseNew(&pool, waiter: 1, connection: 1)
        #expect(pool.lease(id: 2, waiter: 2, deadline: Self.at(10), now: .zero).isEmpty)
        // Cancelling a blocking command closes its connection: it is dropped, and the waiter
        // gets a fresh one instead.
        connection.isClosed = true
        let afterRelease = pool.release(connection, now: Self.at(1))
        #expect(afterRelease.handouts.isEmpty)
        #expect(afterRelease.connect.map(\.purpose) == [.lease])
        #expect(Self.handed(pool.connectSucceeded(afterRelease.connect[0], connection: FakeConnection(2), now: Self.at(1))) == [[2, 2]])
    }

    @Test func idleConnectionsThatClosedAreSkipped() {
        var pool = Self.pool()
        let connection = Self.leaseNew(&pool, waiter: 1, connection: 1)
        _ = pool.release(connection, now: Self.at(1))
        connection.isClosed = true
        #expect(pool.leaseIdle().isMustWait)
        #expect(pool.lease(id: 2, waiter: 2, deadline: Self.at(10), now: Self.at(2)).connect.count == 1)
    }

    // MARK: Lease timeout and cancellation

    @Test func aLeaseTimesOutAtItsDeadlineAndNotBefore() {
        var pool = Self.pool(maximumLeased: 1)
        let busy = Self.leaseNew(&pool, waiter: 1, connection: 1)
        #expect(pool.lease(id: 2, waiter: 2, deadline: Self.at(10), now: .zero).isEmpty)
        // A timer that fires early changes nothing.
        #expect(pool.leaseTimedOut(id: 2, now: Self.at(9.999)) == nil)
        #expect(pool.leaseTimedOut(id: 2, now: Self.at(10)) == 2)
        #expect(pool.waitingForLease == 0)
        // Once timed out, it gets nothing: the connection goes idle.
        #expect(pool.release(busy, now: Self.at(11)).handouts.isEmpty)
        #expect(pool.idleCount == 1)
        // A second timer for the same waiter finds nothing to fail.
        #expect(pool.leaseTimedOut(id: 2, now: Self.at(12)) == nil)
    }

    @Test func aWaiterWhoseConnectionIsBeingOpenedWaitsForTheAttemptNotTheDeadline() {
        var pool = Self.pool(maximumLeased: 2)
        let attempt = pool.lease(id: 1, waiter: 1, deadline: Self.at(0.2), now: .zero).connect[0]
        // A slow connect (a loaded machine, a far server) outlasts the lease deadline.
        #expect(pool.leaseTimedOut(id: 1, now: Self.at(0.3)) == nil)
        #expect(Self.refused(pool.maintain(now: Self.at(0.4))).isEmpty)
        #expect(Self.handed(pool.connectSucceeded(attempt, connection: FakeConnection(1), now: Self.at(0.5))) == [[1, 1]])
        // A failed attempt fails its waiter with the connect error, not a timeout.
        let second = pool.lease(id: 2, waiter: 2, deadline: Self.at(0.7), now: Self.at(0.5)).connect[0]
        #expect(pool.leaseTimedOut(id: 2, now: Self.at(1)) == nil)
        #expect(Self.refused(pool.connectFailed(second, now: Self.at(1.1))) == [2: .connectFailed])
    }

    @Test func maintenanceFailsWaitersWhoseDeadlinePassed() {
        var pool = Self.pool(maximumLeased: 1)
        _ = Self.leaseNew(&pool, waiter: 1, connection: 1)
        _ = pool.lease(id: 2, waiter: 2, deadline: Self.at(5), now: .zero)
        _ = pool.lease(id: 3, waiter: 3, deadline: Self.at(20), now: .zero)
        #expect(Self.refused(pool.maintain(now: Self.at(6))) == [2: .leaseTimedOut])
        #expect(pool.waitingForLease == 1)
    }

    @Test func cancelledWaitersLeaveTheLineAndTheirConnectionGoesIdle() {
        var pool = Self.pool()
        let open = pool.lease(id: 1, waiter: 1, deadline: Self.at(10), now: .zero).connect
        #expect(pool.cancelWait(id: 1) == 1)
        #expect(pool.cancelWait(id: 1) == nil)
        let late = pool.connectSucceeded(open[0], connection: FakeConnection(1), now: Self.at(0.1))
        #expect(late.handouts.isEmpty && late.close.isEmpty)
        #expect(pool.idleCount == 1)
    }

    // MARK: Shared connections

    @Test func sharedCallersWaitForOneAttemptAndAllGetItsConnection() {
        var pool = Self.pool(shared: 2)
        #expect(pool.sharedConnection(slot: 1).isMustWait)
        let first = pool.waitForShared(slot: 1, id: 1, waiter: 1, now: .zero)
        #expect(first.connect.map(\.purpose) == [.shared(slot: 1)])
        // Those arriving meanwhile join the same attempt.
        #expect(pool.waitForShared(slot: 1, id: 2, waiter: 2, now: .zero).isEmpty)
        let connection = FakeConnection(5)
        #expect(Self.handed(pool.connectSucceeded(first.connect[0], connection: connection, now: Self.at(0.1))) == [[1, 5], [2, 5]])
        #expect(pool.sharedConnection(slot: 1).connectionID == 5)
        #expect(pool.sharedConnection(slot: 0).isMustWait)
        // A shared connection that closed is replaced on its next use.
        connection.isClosed = true
        #expect(pool.sharedConnection(slot: 1).isMustWait)
        #expect(pool.waitForShared(slot: 1, id: 3, waiter: 3, now: Self.at(1)).connect.count == 1)
    }

    @Test func aCancelledSharedWaiterLeavesTheSlotsLine() {
        var pool = Self.pool()
        let attempt = pool.waitForShared(slot: 0, id: 1, waiter: 1, now: .zero).connect[0]
        _ = pool.waitForShared(slot: 0, id: 2, waiter: 2, now: .zero)
        #expect(pool.cancelWait(id: 1) == 1)
        #expect(Self.handed(pool.connectSucceeded(attempt, connection: FakeConnection(1), now: .zero)) == [[2, 1]])
    }

    // MARK: A server that refuses connections; back-off

    @Test func aRefusedConnectionFailsItsWaitersAndBacksOff() {
        var pool = Self.pool(shared: 1, backoff: (.milliseconds(50), .milliseconds(300)))
        let attempt = pool.waitForShared(slot: 0, id: 1, waiter: 1, now: .zero).connect[0]
        _ = pool.waitForShared(slot: 0, id: 2, waiter: 2, now: .zero)
        #expect(Self.refused(pool.connectFailed(attempt, now: .zero)) == [1: .connectFailed, 2: .connectFailed])

        // The next attempt waits out the back-off, less the time already gone by.
        let second = pool.waitForShared(slot: 0, id: 3, waiter: 3, now: Self.at(0.02)).connect[0]
        #expect(second.delay == .milliseconds(30))
        _ = pool.connectFailed(second, now: Self.at(0.1))
        // Doubling: 100 ms after the second failure, then 200, then the ceiling of 300.
        var delays: [Duration?] = []
        var now = Self.at(0.1)
        for waiter in 4...6 {
            let next = pool.waitForShared(slot: 0, id: waiter, waiter: waiter, now: now).connect[0]
            delays.append(next.delay)
            _ = pool.connectFailed(next, now: now)
            now = now.advanced(by: .milliseconds(1))
        }
        #expect(delays == [.milliseconds(100), .milliseconds(199), .milliseconds(299)])
        // Once the back-off has passed there is no wait; a success resets it.
        let late = pool.waitForShared(slot: 0, id: 7, waiter: 7, now: Self.at(10)).connect[0]
        #expect(late.delay == nil)
        _ = pool.connectSucceeded(late, connection: FakeConnection(1), now: Self.at(10))
        #expect(pool.reconnectDelay(now: Self.at(10)) == nil)
    }

    @Test func aRefusedLeaseFailsTheFirstWaiterAndRetriesForTheRest() {
        var pool = Self.pool(maximumLeased: 1)
        let attempt = pool.lease(id: 1, waiter: 1, deadline: Self.at(10), now: .zero).connect[0]
        #expect(pool.lease(id: 2, waiter: 2, deadline: Self.at(10), now: .zero).isEmpty)
        let failed = pool.connectFailed(attempt, now: Self.at(0.01))
        #expect(Self.refused(failed) == [1: .connectFailed])
        #expect(failed.connect.map(\.purpose) == [.lease])
        #expect(failed.connect.first?.delay == .milliseconds(50))
        #expect(Self.handed(pool.connectSucceeded(failed.connect[0], connection: FakeConnection(3), now: Self.at(0.1))) == [[2, 3]])
    }

    @Test func backoffDoesNotOverflowWithAbsurdSettings() {
        var backoff = ConnectBackoff<FakeInstant>(initial: .seconds(Int64.max), maximum: .seconds(Int64.max))
        for _ in 0..<200 { backoff.failed(now: .zero) }
        #expect(backoff.remaining(now: .zero) == .seconds(3_600))
    }

    // MARK: Idle reaping and keep-alive

    @Test func idleConnectionsAreClosedAfterTheIdleTimeoutDownToTheMinimum() {
        var pool = Self.pool(shared: 1, minimum: 2, maximumLeased: 4, idleTimeout: .seconds(60))
        let attempts = (1...3).flatMap { pool.lease(id: $0, waiter: $0, deadline: Self.at(10), now: .zero).connect }
        let connections = (1...3).map { FakeConnection($0) }
        for (attempt, connection) in zip(attempts, connections) {
            _ = pool.connectSucceeded(attempt, connection: connection, now: .zero)
        }
        _ = pool.release(connections[0], now: Self.at(1))
        _ = pool.release(connections[1], now: Self.at(2))
        _ = pool.release(connections[2], now: Self.at(50))
        // At t=62 two have been idle over a minute; with the shared slot empty, only one may go
        // (the longest idle), leaving the minimum of two open.
        let actions = pool.maintain(now: Self.at(62))
        #expect(actions.close.map(\.id) == [1])
        #expect(Set(actions.ping.map(\.id)) == [2, 3])
        // The maintenance also opens the shared slot, which counts toward the minimum next time.
        #expect(actions.connect.map(\.purpose) == [.shared(slot: 0)])
    }

    @Test func keepAliveLendsIdleConnectionsAndKeepsTheirIdleTime() {
        var pool = Self.pool(shared: 1, minimum: 0, maximumLeased: 1, idleTimeout: .seconds(60))
        let connection = Self.leaseNew(&pool, waiter: 1, connection: 1)
        _ = pool.release(connection, now: Self.at(1))
        // Shared slot 0 is connected too: both are pinged.
        let sharedAttempt = pool.waitForShared(slot: 0, id: 9, waiter: 9, now: .zero).connect[0]
        _ = pool.connectSucceeded(sharedAttempt, connection: FakeConnection(100), now: .zero)
        let check = pool.maintain(now: Self.at(30))
        #expect(Set(check.ping.map(\.id)) == [1, 100])
        #expect(check.close.isEmpty)
        // While its PING is out, the idle connection is not lent; a caller waits for it.
        #expect(pool.leaseIdle().isMustWait)
        #expect(pool.lease(id: 2, waiter: 2, deadline: Self.at(40), now: Self.at(30)).isEmpty)
        #expect(Self.handed(pool.keepAliveFinished(connection, now: Self.at(30.1))) == [[2, 1]])
        // Reporting a shared connection changes nothing.
        #expect(pool.keepAliveFinished(FakeConnection(100), now: Self.at(30.1)).isEmpty)

        // Without a waiter it returns to idle with its old idle time, so the PING does not
        // keep it alive forever.
        _ = pool.release(connection, now: Self.at(31))
        _ = pool.maintain(now: Self.at(60))
        _ = pool.keepAliveFinished(connection, now: Self.at(60.1))
        #expect(pool.maintain(now: Self.at(92)).close.map(\.id) == [1])
    }

    @Test func aConnectionThatFailsItsKeepAliveIsDropped() {
        var pool = Self.pool(maximumLeased: 1)
        let connection = Self.leaseNew(&pool, waiter: 1, connection: 1)
        _ = pool.release(connection, now: Self.at(1))
        _ = pool.maintain(now: Self.at(30))
        #expect(pool.lease(id: 2, waiter: 2, deadline: Self.at(40), now: Self.at(30)).isEmpty)
        connection.isClosed = true
        let after = pool.keepAliveFinished(connection, now: Self.at(30.5))
        #expect(after.handouts.isEmpty)
        #expect(after.connect.map(\.purpose) == [.lease])
        #expect(pool.leasedSideCount == 1)
    }

    @Test func maintenanceOpensSharedSlotsUpToTheMinimumOnce() {
        var pool = Self.pool(shared: 3, minimum: 2)
        let first = pool.maintain(now: .zero)
        #expect(first.connect.map(\.purpose) == [.shared(slot: 0), .shared(slot: 1)])
        // Attempts in flight are not doubled by the next round.
        #expect(pool.maintain(now: Self.at(30)).connect.isEmpty)
    }

    // MARK: Shutdown

    @Test func shutdownRefusesEveryWaiterAndClosesEveryConnection() {
        var pool = Self.pool(shared: 2, maximumLeased: 3)
        // Slot 0 connected, slot 1 connecting with a waiter.
        let slot0 = pool.waitForShared(slot: 0, id: 1, waiter: 1, now: .zero).connect[0]
        _ = pool.connectSucceeded(slot0, connection: FakeConnection(10), now: .zero)
        let slot1 = pool.waitForShared(slot: 1, id: 2, waiter: 2, now: .zero).connect[0]
        // Two leased, a third attempt in flight, and waiter 6 in line for it.
        let leases = (3...5).flatMap { pool.lease(id: $0, waiter: $0, deadline: Self.at(10), now: .zero).connect }
        #expect(leases.count == 3)
        let leased = FakeConnection(20), released = FakeConnection(21)
        _ = pool.connectSucceeded(leases[0], connection: leased, now: .zero)
        _ = pool.connectSucceeded(leases[1], connection: released, now: .zero)
        #expect(Self.handed(pool.release(released, now: Self.at(1))) == [[5, 21]])
        #expect(pool.lease(id: 6, waiter: 6, deadline: Self.at(10), now: Self.at(1)).isEmpty)

        let actions = pool.shutDown()
        #expect(Self.refused(actions) == [2: .shutDown, 6: .shutDown])
        // Lent connections are closed too: their commands fail rather than outlive the client.
        #expect(Set(actions.close.map(\.id)) == [10, 20, 21])
        #expect(Set(actions.cancelConnects) == [slot1.id, leases[2].id])
        #expect(pool.isShutDown)

        // Whatever arrives later is closed or refused.
        #expect(pool.connectSucceeded(slot1, connection: FakeConnection(30), now: Self.at(2)).close.map(\.id) == [30])
        #expect(pool.release(leased, now: Self.at(2)).close.map(\.id) == [20])
        #expect(pool.sharedConnection(slot: 0).isShutDown)
        #expect(pool.leaseIdle().isShutDown)
        #expect(Self.refused(pool.lease(id: 7, waiter: 7, deadline: Self.at(10), now: Self.at(2))) == [7: .shutDown])
        #expect(Self.refused(pool.waitForShared(slot: 0, id: 8, waiter: 8, now: Self.at(2))) == [8: .shutDown])
        #expect(pool.connectFailed(slot1, now: Self.at(2)).isEmpty)
        #expect(pool.maintain(now: Self.at(3)).isEmpty)
        #expect(pool.shutDown().isEmpty)
    }

    @Test func shutdownClosesIdleConnectionsAndThoseBeingChecked() {
        var pool = Self.pool(maximumLeased: 2)
        let attempts = (1...2).flatMap { pool.lease(id: $0, waiter: $0, deadline: Self.at(10), now: .zero).connect }
        let checked = FakeConnection(1), idle = FakeConnection(2)
        _ = pool.connectSucceeded(attempts[0], connection: checked, now: .zero)
        _ = pool.connectSucceeded(attempts[1], connection: idle, now: .zero)
        _ = pool.release(checked, now: Self.at(1))
        #expect(pool.maintain(now: Self.at(30)).ping.map(\.id) == [1])
        _ = pool.release(idle, now: Self.at(31))
        #expect(Set(pool.shutDown().close.map(\.id)) == [1, 2])
        // Its keep-alive ending after the shutdown (which closed it) changes nothing.
        #expect(pool.keepAliveFinished(checked, now: Self.at(32)).close.isEmpty)
    }
}

extension RedisPoolStateMachine.Lookup {
    var isMustWait: Bool { if case .mustWait = self { true } else { false } }
    var isShutDown: Bool { if case .shutDown = self { true } else { false } }
    var connectionID: Int? { if case .use(let connection) = self { connection.id } else { nil } }
}

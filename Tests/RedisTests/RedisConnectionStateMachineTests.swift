import NIOCore
import Testing
@testable import Redis

/// The connection's protocol logic, driven without any I/O.
struct RedisConnectionStateMachineTests {
    typealias Machine = RedisConnectionStateMachine<String>
    let later = NIODeadline.now() + .seconds(30)

    func token(_ text: String) throws -> RESPToken { try decodeOne(text) }

    @Test func repliesCompleteRequestsInOrder() throws {
        var machine = Machine()
        guard case .write = machine.send(id: 1, expectedReplies: 1, deadline: later, promise: "a") else { Issue.record("not written"); return }
        guard case .write = machine.send(id: 2, expectedReplies: 1, deadline: later, promise: "b") else { Issue.record("not written"); return }
        guard case .succeed("a", .single(let first)) = machine.receive(try token(":1\r\n")) else { Issue.record("a not completed"); return }
        #expect(first.value == .number(1))
        guard case .succeed("b", .single) = machine.receive(try token(":2\r\n")) else { Issue.record("b not completed"); return }
        #expect(machine.pendingCount == 0)
    }

    @Test func aBatchCompletesAfterItsLastReply() throws {
        var machine = Machine()
        _ = machine.send(id: 1, expectedReplies: 3, deadline: later, promise: "batch")
        guard case .none = machine.receive(try token("+OK\r\n")) else { Issue.record("completed early"); return }
        guard case .none = machine.receive(try token("-ERR no\r\n")) else { Issue.record("completed early"); return }
        guard case .succeed("batch", .batch(let replies)) = machine.receive(try token(":3\r\n")) else {
            Issue.record("batch not completed")
            return
        }
        #expect(replies.count == 3)
        #expect(replies[1].isError)
    }

    @Test func pushFramesAreNotReplies() throws {
        var machine = Machine()
        _ = machine.send(id: 1, expectedReplies: 1, deadline: later, promise: "a")
        guard case .push = machine.receive(try token(">2\r\n+message\r\n+hi\r\n")) else { Issue.record("push not routed"); return }
        guard case .succeed("a", _) = machine.receive(try token("+OK\r\n")) else { Issue.record("reply lost"); return }
    }

    @Test func anUnexpectedReplyClosesTheConnection() throws {
        var machine = Machine()
        guard case .closeAndFail(let promises, let error) = machine.receive(try token("+OK\r\n")) else {
            Issue.record("not closed")
            return
        }
        #expect(promises.isEmpty)
        #expect(error.code == .unexpectedReply)
        #expect(machine.isClosed)
    }

    @Test func cancellingAPendingRequestFailsEveryoneAndCloses() throws {
        var machine = Machine()
        _ = machine.send(id: 1, expectedReplies: 1, deadline: later, promise: "a")
        _ = machine.send(id: 2, expectedReplies: 1, deadline: later, promise: "b")
        _ = machine.send(id: 3, expectedReplies: 1, deadline: later, promise: "c")
        guard case .closeAndFail(let cancelled, let others, let error) = machine.cancel(id: 2, highestSentID: 3) else {
            Issue.record("not closed")
            return
        }
        #expect(cancelled == "b")
        #expect(others == ["a", "c"])
        #expect(error.code == .connectionClosedDueToCancellation)
        guard case .fail("d", let later) = machine.send(id: 4, expectedReplies: 1, deadline: self.later, promise: "d") else {
            Issue.record("sent on a closed connection")
            return
        }
        #expect((later as? RedisClientError)?.code == .connectionClosedDueToCancellation)
    }

    @Test func cancellingAPendingNonBlockingRequestDropsOnlyItsReply() throws {
        var machine = Machine()
        _ = machine.send(id: 1, expectedReplies: 1, deadline: later, promise: "a", closesOnCancel: false)
        _ = machine.send(id: 2, expectedReplies: 2, deadline: later, promise: "b", closesOnCancel: false)
        _ = machine.send(id: 3, expectedReplies: 1, deadline: later, promise: "c", closesOnCancel: false)
        guard case .abandon("b") = machine.cancel(id: 2, highestSentID: 3) else {
            Issue.record("not abandoned alone")
            return
        }
        #expect(!machine.isClosed)
        // Cancelling it again changes nothing.
        guard case .none = machine.cancel(id: 2, highestSentID: 3) else { Issue.record("cancelled twice"); return }
        guard case .succeed("a", _) = machine.receive(try token("+A\r\n")) else { Issue.record("a lost its reply"); return }
        // b's two replies are read and dropped.
        guard case .none = machine.receive(try token("+B1\r\n")) else { Issue.record("b1 delivered"); return }
        guard case .none = machine.receive(try token("+B2\r\n")) else { Issue.record("b2 delivered"); return }
        guard case .succeed("c", .single(let reply)) = machine.receive(try token("+C\r\n")) else {
            Issue.record("c lost its reply")
            return
        }
        #expect(reply == (try token("+C\r\n")))
        #expect(machine.pendingCount == 0)
    }

    @Test func cancellationBeforeTheSendArrivesPreventsTheWrite() {
        var machine = Machine()
        guard case .none = machine.cancel(id: 7, highestSentID: 0) else { Issue.record("closed needlessly"); return }
        guard case .fail("x", let error) = machine.send(id: 7, expectedReplies: 1, deadline: later, promise: "x") else {
            Issue.record("cancelled request was written")
            return
        }
        #expect(error is CancellationError)
        #expect(!machine.isClosed)
        // An already-completed request being cancelled changes nothing.
        guard case .none = machine.cancel(id: 3, highestSentID: 7) else { Issue.record("closed needlessly"); return }
    }

    @Test func theHeadDeadlineDecidesTimeouts() throws {
        var machine = Machine()
        let now = NIODeadline.now()
        _ = machine.send(id: 1, expectedReplies: 1, deadline: now + .seconds(1), promise: "a")
        _ = machine.send(id: 2, expectedReplies: 1, deadline: now + .seconds(5), promise: "b")
        #expect(machine.headDeadline == now + .seconds(1))
        _ = machine.receive(try token("+OK\r\n"))
        guard case .reschedule(let next) = machine.timerFired(now: now + .seconds(2)) else { Issue.record("no reschedule"); return }
        #expect(next == now + .seconds(5))
        guard case .closeAndFail(let failed, let error) = machine.timerFired(now: now + .seconds(6)) else {
            Issue.record("no timeout")
            return
        }
        #expect(failed == ["b"])
        #expect(error.code == .commandTimeout)
    }

    @Test func closingFailsPendingOnce() {
        var machine = Machine()
        _ = machine.send(id: 1, expectedReplies: 1, deadline: later, promise: "a")
        let error = RedisClientError(.connectionClosed, "gone")
        #expect(machine.close(error) == ["a"])
        #expect(machine.close(error).isEmpty)
        guard case .none = machine.timerFired(now: .now()) else { Issue.record("timer acted after close"); return }
    }
}

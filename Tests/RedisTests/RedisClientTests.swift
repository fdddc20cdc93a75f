import Foundation
import NIOCore
import Testing
import TestSupport
@testable import Redis

/// The client against the shared redis-server that scripts/test started.
struct RedisClientTests {
    @Test func tenThousandPipelinedCommands() async throws {
        try await RedisTesting.withClient { client in
            let prefix = RedisTesting.uniquePrefix()
            let sets = (0..<10_000).map { RedisCommand.set("\(prefix)\($0)", .int($0 * 7)) }
            let setReplies = try await client.pipeline(sets)
            #expect(setReplies.count == 10_000)
            #expect(setReplies.allSatisfy { $0.value == .simpleString(ByteBuffer(string: "OK")) })
            let values = try await client.pipeline((0..<10_000).map { RedisCommand.get("\(prefix)\($0)") })
            #expect(try values.map { try Int(fromRESP: $0) } == (0..<10_000).map { $0 * 7 })
        }
    }

    @Test func hundredConcurrentTasksOnOnePool() async throws {
        try await RedisTesting.withClient { client in
            let key = RedisTesting.uniquePrefix() + "counter"
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<100 {
                    group.addTask {
                        let own = "\(key):\(task)"
                        for index in 0..<50 {
                            try await client.execute(.incr(key))
                            try await client.execute(.set(own, .int(index)))
                            #expect(try await client.execute(.get(own), as: Int.self) == index)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await client.execute(.get(key), as: Int.self) == 5_000)
        }
    }

    @Test func blockingPopIsWokenByAPushFromAnotherConnection() async throws {
        let name = "blockpop-\(UUID().uuidString.prefix(8))"
        try await RedisTesting.withClient(configure: { $0.clientName = name }) { (client: RedisClient) async throws in
            let key = RedisTesting.uniquePrefix() + "zset"
            let popped = Task { () -> RESPToken in
                try await client.execute(.bzpopmin([key], timeout: .seconds(60)))
            }
            // Wait until the pop is parked on the server, then push from another connection.
            #expect(
                try await RedisTesting.eventually {
                    try await RedisTesting.clients(named: name, on: client).contains { $0.contains("cmd=bzpopmin") }
                })
            // Ordinary commands are not delayed by the blocked connection.
            #expect(try await client.execute(.ping(), as: String.self) == "PONG")
            _ = try await RedisTesting.withClient { other in try await other.execute(.zadd(key, score: 1, member: "job-1")) }
            // Woken by the push: a pop that timed out would answer null, not the member. (The
            // wake-up latency is measured in Benchmarks/, not asserted here.)
            let reply = try [String](fromRESP: await popped.value)
            #expect(reply.count == 3 && reply.prefix(2) == [key, "job-1"] && Double(reply[2]) == 1)
        }
    }

    @Test func blockingCommandThatTimesOutReturnsNull() async throws {
        try await RedisTesting.withClient { client in
            let reply = try await client.execute(.bzpopmin([RedisTesting.uniquePrefix() + "empty"], timeout: .milliseconds(100)))
            #expect(reply.value == .null)
        }
    }

    @Test func scriptsSurviveScriptFlush() async throws {
        // A server of its own: SCRIPT FLUSH would pull the scripts from under concurrent tests.
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        try await RedisTesting.withClient(url: server.url) { client in
            let script = RedisScript(
                name: "incr-by", source: "-- test script \(UUID())\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])")
            let key = RedisTesting.uniquePrefix() + "n"
            #expect(try await client.execute(script, keys: [.string(key)], arguments: [5]).value == .number(5))
            try await client.execute(RedisCommand("SCRIPT", ["FLUSH"]))
            #expect(try await client.execute(script, keys: [.string(key)], arguments: [2]).value == .number(7))
            try await client.execute(RedisCommand("SCRIPT", ["FLUSH"]))
            let replies = try await client.pipeline([
                script.command(keys: [.string(key)], arguments: [1]), .get(key), script.command(keys: [.string(key)], arguments: [1]),
            ])
            // Both EVALSHAs come back NOSCRIPT (they did not run), the GET reads 7, then the
            // client re-sends the two calls as EVAL with the source: 8 and 9.
            #expect(try replies.map { try Int(fromRESP: $0) } == [8, 7, 9])
            #expect(try await client.execute(.get(key), as: Int.self) == 9)
        }
    }

    @Test func serverErrorsFailOnlyTheirCommand() async throws {
        try await RedisTesting.withClient { client in
            let key = RedisTesting.uniquePrefix() + "list"
            try await client.execute(.lpush(key, ["a"]))
            let error = await #expect(throws: RedisServerError.self) { try await client.execute(.incr(key)) }
            #expect(error?.code == "WRONGTYPE")
            #expect(try await client.execute(RedisCommand("LLEN", [.string(key)], keyArguments: 0..<1), as: Int.self) == 1)
        }
    }

    @Test func multiExecRunsAtomically() async throws {
        try await RedisTesting.withClient { client in
            let key = RedisTesting.uniquePrefix() + "tx"
            let replies = try await client.transaction([.set(key, 10), .incr(key), .incr(key)])
            #expect(try replies.map { try String(fromRESP: $0) } == ["OK", "11", "12"])
            let aborted = await #expect(throws: RedisServerError.self) {
                try await client.transaction([.incr(key), RedisCommand("NOSUCHCOMMAND")])
            }
            #expect(aborted?.message.contains("unknown command") == true)
            #expect(try await client.execute(.get(key), as: Int.self) == 12)
        }
    }

    @Test func cancellingABlockingCommandDiscardsItsConnection() async throws {
        let name = "cancel-\(UUID().uuidString.prefix(8))"
        try await RedisTesting.withClient(configure: { $0.clientName = name }) { (client: RedisClient) async throws -> Void in
            let key = RedisTesting.uniquePrefix() + "never"
            // Blocks far longer than the checks below wait, so only closing the connection ends it.
            let blocked = Task { try await client.execute(.bzpopmin([key], timeout: .seconds(600))) }
            #expect(
                try await RedisTesting.eventually {
                    try await RedisTesting.clients(named: name, on: client).contains { $0.contains("cmd=bzpopmin") }
                })
            blocked.cancel()
            await #expect(throws: CancellationError.self) { try await blocked.value }
            // The cancelled connection is closed, not handed to anyone else (a loaded machine may
            // take a while to show it).
            #expect(
                try await RedisTesting.eventually(timeout: .seconds(60)) {
                    try await !RedisTesting.clients(named: name, on: client).contains { $0.contains("cmd=bzpopmin") }
                })
            #expect(try await client.execute(.ping(), as: String.self) == "PONG")
            #expect(try await client.execute(.bzpopmin([key], timeout: .milliseconds(10))).value == .null)
        }
    }

    @Test func connectionsCarryNameAndDatabase() async throws {
        let name = "named-\(UUID().uuidString.prefix(8))"
        try await RedisTesting.withClient(configure: {
            $0.clientName = name
            $0.database = 3
        }) { (client: RedisClient) async throws in
            #expect(try await client.execute(RedisCommand("CLIENT", ["GETNAME"]), as: String.self) == name)
            let info = try await client.execute(RedisCommand("CLIENT", ["INFO"]), as: String.self)
            #expect(info.contains(" db=3 "))
            #expect(info.contains(" resp=3"))
        }
    }

    @Test func leasesWaitThenTimeOutWithAClearError() async throws {
        let name = "lease-\(UUID().uuidString.prefix(8))"
        try await RedisTesting.withClient(configure: {
            $0.clientName = name
            $0.pool.multiplexedConnections = 1
            $0.pool.maximumConnections = 2
            $0.pool.leaseTimeout = .milliseconds(200)
        }) { (client: RedisClient) async throws in
            let key = RedisTesting.uniquePrefix() + "held"
            // Held until the ZADD below, however slow the machine.
            let holder = Task { try await client.execute(.bzpopmin([key], timeout: .seconds(120))) }
            // The one leasable connection is busy: the next lease times out.
            #expect(
                try await RedisTesting.eventually {
                    try await RedisTesting.clients(named: name, on: client).contains { $0.contains("cmd=bzpopmin") }
                })
            let error = await #expect(throws: RedisClientError.self) {
                try await client.withConnection { try await $0.execute(.ping()) }
            }
            #expect(error?.message.contains("no Redis connection free") == true)
            try await client.execute(.zadd(key, score: 1, member: "x"))
            _ = try await holder.value
            // Released: leasing works again.
            #expect(try await client.withConnection { try await $0.execute(.ping(), as: String.self) } == "PONG")
        }
    }

    @Test func idleLeasedConnectionsAreClosedDownToTheMinimum() async throws {
        let name = "idle-\(UUID().uuidString.prefix(8))"
        try await RedisTesting.withClient(configure: {
            $0.clientName = name
            $0.pool.multiplexedConnections = 1
            $0.pool.minimumConnections = 1
            $0.pool.idleTimeout = .milliseconds(200)
            $0.pool.keepAliveInterval = .milliseconds(100)
        }) { (client: RedisClient) async throws in
            let key = RedisTesting.uniquePrefix() + "idle"
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask { _ = try await client.execute(.bzpopmin([key], timeout: .milliseconds(50))) }
                }
                try await group.waitForAll()
            }
            #expect(try await RedisTesting.clients(named: name, on: client).count >= 2)
            // Generous: on a loaded 2-core machine the reaper's turn can come late.
            #expect(
                try await RedisTesting.eventually(timeout: .seconds(60)) {
                    try await RedisTesting.clients(named: name, on: client).count == 1
                })
        }
    }
}

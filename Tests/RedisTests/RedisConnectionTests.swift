import Logging
import NIOCore
import NIOEmbedded
import Testing
@testable import Redis

/// The connection against an in-memory channel: exact bytes out, scripted replies in.
struct RedisConnectionTests {
    static let logger = Logger(label: "test.redis")

    /// A connection whose handshake (`HELLO 3`) has been answered.
    static func connected(
        _ configuration: RedisConfiguration = RedisConfiguration(address: .tcp(host: "127.0.0.1", port: 6379))
    ) async throws -> (RedisConnection, NIOAsyncTestingChannel) {
        let channel = NIOAsyncTestingChannel()
        try await channel.pipeline.addHandler(RedisChannelHandler(limits: configuration.decoderLimits, logger: logger))
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379))
        let connection = Task { try await RedisConnection.establish(on: channel, id: 1, configuration: configuration, logger: logger) }
        let hello = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        #expect(String(buffer: hello) == "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n")
        try await channel.writeInbound(ByteBuffer(string: "%1\r\n+proto\r\n:3\r\n"))
        return (try await connection.value, channel)
    }

    @Test func handshakeSendsAuthNameAndDatabase() async throws {
        var configuration = try RedisConfiguration(url: "redis://worker:s3cret@127.0.0.1:6379/2?name=obotcall-api")
        configuration.commandTimeout = .seconds(5)
        let channel = NIOAsyncTestingChannel()
        try await channel.pipeline.addHandler(RedisChannelHandler(limits: .init(), logger: Self.logger))
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379))
        let connection = Task { try await RedisConnection.establish(on: channel, id: 1, configuration: configuration, logger: Self.logger) }

        let hello = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        #expect(
            String(buffer: hello)
                == "*7\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$6\r\nworker\r\n$6\r\ns3cret\r\n$7\r\nSETNAME\r\n$12\r\nobotcall-api\r\n")
        try await channel.writeInbound(ByteBuffer(string: "%1\r\n+proto\r\n:3\r\n"))
        let select = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        #expect(String(buffer: select) == "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n")
        try await channel.writeInbound(ByteBuffer(string: "+OK\r\n"))
        #expect(try await connection.value.protocolVersion == .resp3)
    }

    @Test func fallsBackToRESP2WhenHelloIsUnknown() async throws {
        let configuration = try RedisConfiguration(url: "redis://:pw@127.0.0.1:6379?name=n")
        let channel = NIOAsyncTestingChannel()
        try await channel.pipeline.addHandler(RedisChannelHandler(limits: .init(), logger: Self.logger))
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379))
        let connection = Task { try await RedisConnection.establish(on: channel, id: 1, configuration: configuration, logger: Self.logger) }

        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        try await channel.writeInbound(ByteBuffer(string: "-ERR unknown command 'HELLO', with args beginning with: '3'\r\n"))
        let auth = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        #expect(String(buffer: auth) == "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n")
        try await channel.writeInbound(ByteBuffer(string: "+OK\r\n"))
        let name = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        #expect(String(buffer: name) == "*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$1\r\nn\r\n")
        try await channel.writeInbound(ByteBuffer(string: "+OK\r\n"))
        #expect(try await connection.value.protocolVersion == .resp2)
    }

    @Test func refusedAuthenticationIsAClearHandshakeError() async throws {
        let configuration = try RedisConfiguration(url: "redis://:wrong@127.0.0.1:6379")
        let channel = NIOAsyncTestingChannel()
        try await channel.pipeline.addHandler(RedisChannelHandler(limits: .init(), logger: Self.logger))
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379))
        let connection = Task { try await RedisConnection.establish(on: channel, id: 1, configuration: configuration, logger: Self.logger) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        try await channel.writeInbound(ByteBuffer(string: "-WRONGPASS invalid username-password pair or user is disabled.\r\n"))
        let error = await #expect(throws: RedisClientError.self) { try await connection.value }
        #expect(error?.code == .handshakeFailed)
        #expect(error?.message.contains("WRONGPASS") == true)
    }

    @Test func commandBytesAndTypedReply() async throws {
        let (connection, channel) = try await Self.connected()
        let value = Task { try await connection.execute(.get("user:1"), as: String?.self) }
        let bytes = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        #expect(String(buffer: bytes) == "*2\r\n$3\r\nGET\r\n$6\r\nuser:1\r\n")
        try await channel.writeInbound(ByteBuffer(string: "$5\r\nAlice\r\n"))
        #expect(try await value.value == "Alice")
    }

    @Test func aPipelineIsOneWrite() async throws {
        let (connection, channel) = try await Self.connected()
        let replies = Task { try await connection.pipeline([.set("a", "1"), .incr("a"), .get("a")]) }
        let bytes = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        #expect(String(buffer: bytes) == "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n")
        // Replies may arrive in any chunking.
        try await channel.writeInbound(ByteBuffer(string: "+OK\r\n:"))
        try await channel.writeInbound(ByteBuffer(string: "2\r\n$1\r\n2\r\n"))
        let result = try await replies.value
        #expect(try result.map { try String(fromRESP: $0) } == ["OK", "2", "2"])
    }

    @Test func anErrorReplyFailsOnlyItsCommand() async throws {
        let (connection, channel) = try await Self.connected()
        let first = Task { try await connection.execute(.incr("list")) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        let second = Task { try await connection.execute(.get("k"), as: String.self) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        try await channel.writeInbound(ByteBuffer(string: "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n$2\r\nok\r\n"))
        let error = await #expect(throws: RedisServerError.self) { try await first.value }
        #expect(error?.code == "WRONGTYPE")
        #expect(try await second.value == "ok")
        #expect(!connection.isClosed)
    }

    @Test func malformedReplyClosesTheConnectionAndFailsPending() async throws {
        let (connection, channel) = try await Self.connected()
        let reply = Task { try await connection.execute(.ping()) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        try await channel.writeInbound(ByteBuffer(string: "?garbage\r\n"))
        let error = await #expect(throws: RedisClientError.self) { try await reply.value }
        #expect(error?.code == .protocolError)
        try await channel.closeFuture.get()
        await #expect(throws: RedisClientError.self) { try await connection.execute(.ping()) }
    }

    @Test func cancellingAWaitingCommandGivesUpOnlyItsReply() async throws {
        let (connection, channel) = try await Self.connected()
        let cancelled = Task { try await connection.execute(.ping()) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        let other = Task { try await connection.execute(.get("x")) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        // The cancelled command's reply is read and dropped; the next one goes to its caller,
        // and the connection (which others share) stays up.
        try await channel.writeInbound(ByteBuffer(string: "+PONG\r\n"))
        try await channel.writeInbound(ByteBuffer(string: "$1\r\ny\r\n"))
        #expect(try await other.value.value == .bulkString(ByteBuffer(string: "y")))
        #expect(!connection.isClosed)
    }

    @Test func cancellingABlockingCommandClosesTheConnection() async throws {
        let (connection, channel) = try await Self.connected()
        let blocked = Task { try await connection.execute(.bzpopmin(["k"], timeout: .seconds(5))) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        let other = Task { try await connection.execute(.get("x")) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        blocked.cancel()
        await #expect(throws: CancellationError.self) { try await blocked.value }
        let error = await #expect(throws: RedisClientError.self) { try await other.value }
        #expect(error?.code == .connectionClosedDueToCancellation)
        try await channel.closeFuture.get()
    }

    @Test func aLateReplyTimesOutAndClosesTheConnection() async throws {
        var configuration = RedisConfiguration(address: .tcp(host: "127.0.0.1", port: 6379))
        configuration.commandTimeout = .seconds(2)
        let (connection, channel) = try await Self.connected(configuration)
        let reply = Task { try await connection.execute(.ping()) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        await channel.testingEventLoop.advanceTime(by: .seconds(1))
        #expect(!connection.isClosed)
        await channel.testingEventLoop.advanceTime(by: .seconds(2))
        let error = await #expect(throws: RedisClientError.self) { try await reply.value }
        #expect(error?.code == .commandTimeout)
        try await channel.closeFuture.get()
    }

    @Test func blockingCommandsGetTheirBlockingTimePlusGrace() async throws {
        var configuration = RedisConfiguration(address: .tcp(host: "127.0.0.1", port: 6379))
        configuration.commandTimeout = .seconds(1)
        configuration.blockingCommandGrace = .seconds(1)
        let (connection, channel) = try await Self.connected(configuration)
        let reply = Task { try await connection.execute(.bzpopmin(["q"], timeout: .seconds(5))) }
        let bytes = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        #expect(String(buffer: bytes) == "*3\r\n$8\r\nBZPOPMIN\r\n$1\r\nq\r\n$3\r\n5.0\r\n")
        await channel.testingEventLoop.advanceTime(by: .seconds(5))
        #expect(!connection.isClosed)
        try await channel.writeInbound(ByteBuffer(string: "_\r\n"))
        #expect(try await reply.value.value == .null)
    }

    @Test func transactionsDecodeExecPerCommand() async throws {
        let (connection, channel) = try await Self.connected()
        let results = Task { try await connection.transaction([.set("a", "1"), .incr("a")]) }
        let bytes = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        #expect(String(buffer: bytes).hasPrefix("*1\r\n$5\r\nMULTI\r\n"))
        #expect(String(buffer: bytes).hasSuffix("*1\r\n$4\r\nEXEC\r\n"))
        try await channel.writeInbound(ByteBuffer(string: "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n:2\r\n"))
        let replies = try await results.value
        #expect(replies.count == 2)
        #expect(try String(fromRESP: replies[0]) == "OK")
        #expect(try Int(fromRESP: replies[1]) == 2)
    }

    @Test func pushFramesDoNotDisturbReplies() async throws {
        let (connection, channel) = try await Self.connected()
        let reply = Task { try await connection.execute(.get("k"), as: String.self) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        try await channel.writeInbound(ByteBuffer(string: ">3\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n_\r\n$1\r\nv\r\n"))
        #expect(try await reply.value == "v")
    }
}

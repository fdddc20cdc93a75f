import NIOCore
import Testing
@testable import Redis

struct RedisCommandTests {
    @Test func encodesAsAnArrayOfBulkStrings() {
        let command = RedisCommand("SET", ["k", .int(-12), .double(1.5), .bytes(ByteBuffer(bytes: [0, 13, 10]))], keyArguments: 0..<1)
        #expect(String(buffer: command.encoded) == "*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n-12\r\n$3\r\n1.5\r\n$3\r\n\u{0}\r\n\r\n")
        #expect(command.arguments.map { Array($0.readableBytesView) } == [[107], Array("-12".utf8), Array("1.5".utf8), [0, 13, 10]])
    }

    @Test func everyCommandKnowsItsKeys() {
        #expect(RedisCommand.get("a").keys == [ByteBuffer(string: "a")])
        #expect(RedisCommand.del(["a", "b"]).keys.map { String(buffer: $0) } == ["a", "b"])
        #expect(RedisCommand.bzpopmin(["q1", "q2"], timeout: .seconds(1)).keys.map { String(buffer: $0) } == ["q1", "q2"])
        #expect(RedisCommand.blmove(from: "src", to: "dst", timeout: .zero).keys.map { String(buffer: $0) } == ["src", "dst"])
        let xread = RedisCommand.xreadBlocking(streams: [("s1", "0"), ("s2", "$")], count: 10, timeout: .milliseconds(500))
        #expect(xread.keys.map { String(buffer: $0) } == ["s1", "s2"])
        #expect(xread.description == "XREAD COUNT 10 BLOCK 500 STREAMS s1 s2 0 $")
        let script = RedisScript(name: "t", source: "return KEYS[1]")
        #expect(script.command(keys: ["{q}:a", "{q}:b"], arguments: ["x"]).keys.map { String(buffer: $0) } == ["{q}:a", "{q}:b"])
        #expect(RedisCommand.ping().keys.isEmpty)
    }

    @Test func blockingCommandsAreMarked() {
        #expect(RedisCommand.bzpopmin(["q"], timeout: .seconds(2)).blockingTimeout == .seconds(2))
        #expect(!RedisCommand.get("k").isBlocking)
    }

    @Test func scriptDigestIsSHA1OfTheSource() {
        // sha1("return 1") as computed by redis-cli SCRIPT LOAD.
        #expect(RedisScript(name: "one", source: "return 1").sha1 == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
    }
}

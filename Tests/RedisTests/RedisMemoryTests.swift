import Testing
@testable import Redis

/// `INFO memory` parsing, without a server.
struct RedisMemoryTests {
    @Test func readsUsedMemoryAndTheCeiling() {
        let info = "# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\nmaxmemory:4194304\r\nmaxmemory_policy:noeviction\r\n"
        let memory = RedisMemory(info: info)
        #expect(memory == RedisMemory(usedBytes: 1_048_576, maximumBytes: 4_194_304))
        #expect(memory?.share == 0.25)
    }

    @Test func noCeilingAndMalformedInput() {
        #expect(RedisMemory(info: "used_memory:10\nmaxmemory:0\n") == RedisMemory(usedBytes: 10, maximumBytes: nil))
        #expect(RedisMemory(info: "used_memory:10\nmaxmemory:0\n")?.share == nil)
        #expect(RedisMemory(info: "maxmemory:5\n") == nil)
        #expect(RedisMemory(info: "used_memory:-3\n") == nil)
        #expect(RedisMemory(info: "used_memory:99999999999999999999999\n") == nil)
        #expect(RedisMemory(info: "") == nil)
    }
}

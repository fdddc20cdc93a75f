import Foundation
import Logging
import NIOCore
import NIOPosix
import Redis

/// Pipelined throughput of the project's RESP client, shaped like `redis-benchmark -P depth -c connections`:
/// each connection keeps `depth` commands in flight (one pipelined write per batch) until
/// `requests` commands in all have been answered.
///
/// Usage: redis-benchmark-swift --url redis://127.0.0.1:6379 --requests 200000 --depth 16 --connections 4 --tests set,get,evalsha
@main
struct RedisBenchmark {
    struct Options {
        var url = "redis://127.0.0.1:6379"
        var requests = 200_000
        var depth = 16
        var connections = 4
        var tests = ["set", "get", "evalsha"]
    }

    static func main() async throws {
        var options = Options()
        var arguments = CommandLine.arguments.dropFirst()
        while let flag = arguments.popFirst() {
            guard let value = arguments.popFirst() else { exitWithUsage("missing value for \(flag)") }
            switch flag {
            case "--url": options.url = value
            case "--requests": options.requests = Int(value) ?? options.requests
            case "--depth": options.depth = Int(value) ?? options.depth
            case "--connections": options.connections = Int(value) ?? options.connections
            case "--tests": options.tests = value.split(separator: ",").map(String.init)
            default: exitWithUsage("unknown option \(flag)")
            }
        }
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let configuration = try RedisConfiguration(url: options.url)
        // One event-loop thread drives every connection, and the benchmark's tasks run on it, as
        // redis-benchmark's single event loop does: no thread hop per round trip.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let eventLoop = group.next()
        let executor = EventLoopTaskExecutor(eventLoop: eventLoop)
        var connections: [RedisConnection] = []
        for _ in 0..<options.connections {
            connections.append(try await RedisConnection.connect(configuration: configuration, eventLoop: eventLoop, logger: logger))
        }
        let script = RedisScript(name: "bench", source: "return redis.call('GET', KEYS[1])")
        _ = try await connections[0].execute(.scriptLoad(script))
        _ = try await connections[0].execute(.set("key:__rand_int__", "xxx"))

        for test in options.tests {
            let command: RedisCommand
            switch test {
            case "set": command = .set("key:__rand_int__", "xxx")
            case "get": command = .get("key:__rand_int__")
            case "evalsha": command = script.command(keys: ["key:__rand_int__"])
            default: exitWithUsage("unknown test \(test) (set, get, evalsha)")
            }
            let batch = Array(repeating: command, count: options.depth)
            let perConnection = options.requests / options.connections / options.depth
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for connection in connections {
                    group.addTask(executorPreference: executor) {
                        for _ in 0..<perConnection {
                            let replies = try await connection.pipeline(batch)
                            if replies[0].isError { throw RedisServerError(message: "\(test): \(replies[0])") }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let done = perConnection * options.depth * options.connections
            // Same shape as `redis-benchmark --csv -q`: "name","rps"
            print("\"\(test.uppercased())\",\"\(String(format: "%.2f", Double(done) / seconds))\"")
        }
        for connection in connections { await connection.close() }
    }
}

func exitWithUsage(_ message: String) -> Never {
    FileHandle.standardError.write(
        Data(
            "redis-benchmark-swift: \(message)\nusage: redis-benchmark-swift --url URL --requests N --depth P --connections C --tests set,get,evalsha\n"
                .utf8))
    exit(2)
}

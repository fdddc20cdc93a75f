import NIOCore

/// Constructors for the commands the platform uses directly, each declaring its keys.
extension RedisCommand {
    public static func ping() -> RedisCommand { RedisCommand("PING") }

    public static func get(_ key: String) -> RedisCommand { RedisCommand("GET", [.string(key)], keyArguments: 0..<1) }

    public static func set(_ key: String, _ value: RedisArgument, expiry: Duration? = nil) -> RedisCommand {
        var arguments: [RedisArgument] = [.string(key), value]
        if let expiry {
            arguments += ["PX", .int(expiry.millisecondsValue)]
        }
        return RedisCommand("SET", arguments, keyArguments: 0..<1)
    }

    public static func del(_ keys: [String]) -> RedisCommand {
        RedisCommand("DEL", keys.map { .string($0) }, keyArguments: 0..<keys.count)
    }

    public static func exists(_ keys: [String]) -> RedisCommand {
        RedisCommand("EXISTS", keys.map { .string($0) }, keyArguments: 0..<keys.count)
    }

    public static func incr(_ key: String) -> RedisCommand { RedisCommand("INCR", [.string(key)], keyArguments: 0..<1) }

    public static func lpush(_ key: String, _ values: [RedisArgument]) -> RedisCommand {
        RedisCommand("LPUSH", [.string(key)] + values, keyArguments: 0..<1)
    }

    public static func rpush(_ key: String, _ values: [RedisArgument]) -> RedisCommand {
        RedisCommand("RPUSH", [.string(key)] + values, keyArguments: 0..<1)
    }

    public static func zadd(_ key: String, score: Double, member: RedisArgument) -> RedisCommand {
        RedisCommand("ZADD", [.string(key), .double(score), member], keyArguments: 0..<1)
    }

    /// `BZPOPMIN key… timeout`: blocks until one of the sorted sets has a member, or `timeout`
    /// passes (`.zero`: no limit). Sent on a dedicated connection.
    public static func bzpopmin(_ keys: [String], timeout: Duration) -> RedisCommand {
        RedisCommand(
            "BZPOPMIN", keys.map { .string($0) } + [.double(timeout.secondsValue)],
            keyArguments: 0..<keys.count, blockingTimeout: timeout)
    }

    /// `BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout`.
    public static func blmove(
        from source: String, to destination: String, sourceEnd: String = "LEFT", destinationEnd: String = "RIGHT",
        timeout: Duration
    ) -> RedisCommand {
        RedisCommand(
            "BLMOVE", [.string(source), .string(destination), .string(sourceEnd), .string(destinationEnd), .double(timeout.secondsValue)],
            keyArguments: 0..<2, blockingTimeout: timeout)
    }

    /// `XREAD [COUNT n] BLOCK ms STREAMS key… id…`: waits for entries after `ids` (`$`: new ones only).
    public static func xreadBlocking(streams: [(key: String, id: String)], count: Int? = nil, timeout: Duration) -> RedisCommand {
        var arguments: [RedisArgument] = []
        if let count { arguments += ["COUNT", .int(count)] }
        arguments += ["BLOCK", .int(timeout.millisecondsValue), "STREAMS"]
        let keyStart = arguments.count
        arguments += streams.map { .string($0.key) }
        arguments += streams.map { .string($0.id) }
        return RedisCommand("XREAD", arguments, keyArguments: keyStart..<(keyStart + streams.count), blockingTimeout: timeout)
    }

    public static func scriptLoad(_ script: RedisScript) -> RedisCommand {
        RedisCommand("SCRIPT", ["LOAD", .string(script.source)])
    }
}

extension Duration {
    /// Whole and fractional seconds, as Redis's blocking timeouts take them.
    var secondsValue: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    var millisecondsValue: Int {
        Int(components.seconds) * 1000 + Int(components.attoseconds / 1_000_000_000_000_000)
    }
}

import Redis

/// One call of a queue script, as a value: its inputs by name, encoded into the KEYS and ARGV the
/// script's header comment lists (Sources/Queue/Scripts/*.lua), in one place per script.
///
/// Scripts that take the ten shared queue keys (`queueKeys()` in lib.lua) get them first; `keys`
/// lists what follows. Every key is built from the queue's base, so a hash-tagged prefix or name
/// keeps a call in one Redis Cluster slot (`QueueScriptCallTests` checks each call).
protocol QueueScriptCall: Sendable {
    /// The script this call runs.
    static var script: KeyPath<QueueScripts, RedisScript> { get }
    /// Whether KEYS start with the ten shared queue keys.
    static var takesSharedKeys: Bool { get }
    /// KEYS after the shared ones, in the script's order.
    func keys(_ keys: QueueKeys) -> [String]
    /// ARGV, in the script's order.
    func arguments(_ keys: QueueKeys) -> [RedisArgument]
}

extension QueueScriptCall {
    static var takesSharedKeys: Bool { true }

    /// Every KEY of the call, shared ones included.
    func allKeys(_ keys: QueueKeys) -> [String] {
        (Self.takesSharedKeys ? keys.sharedNames : []) + self.keys(keys)
    }

    func command(_ keys: QueueKeys, scripts: QueueScripts) -> RedisCommand {
        scripts[keyPath: Self.script].command(keys: allKeys(keys).map { .string($0) }, arguments: arguments(keys))
    }
}

extension Queue {
    /// Runs `call` and returns the script's reply.
    func run<Call: QueueScriptCall>(_ call: Call) async throws -> RESPToken {
        try await redis.execute(call.command(keys, scripts: scripts))
    }
}

/// What the pool's state machine needs to know of a connection: which one it is and whether it
/// still works. ``RedisConnection`` adopts it; the state machine's tests use a stand-in.
protocol RedisPoolConnection {
    /// Unique among the connections of one process.
    var id: Int { get }
    /// A closed connection is never handed out again; the pool replaces it.
    var isClosed: Bool { get }
}

extension RedisConnection: RedisPoolConnection {}

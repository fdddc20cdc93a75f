public import Redis

extension ReadinessCheck {
    /// Redis answers; reports how full it is (`usedMemoryBytes`, `maxMemoryBytes`, `memoryShare`),
    /// since at its ceiling every enqueue fails (the platform never lets Redis evict).
    public static func redis(_ client: RedisClient) -> ReadinessCheck {
        .reporting("redis") {
            let memory = try await RedisMemory.read(from: client)
            var details = ["usedMemoryBytes": Double(memory.usedBytes)]
            if let maximum = memory.maximumBytes { details["maxMemoryBytes"] = Double(maximum) }
            if let share = memory.share { details["memoryShare"] = (share * 10_000).rounded() / 10_000 }
            return details
        }
    }
}

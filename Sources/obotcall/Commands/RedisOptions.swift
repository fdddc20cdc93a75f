import ArgumentParser
import Redis

/// `--redis-url`, defaulting to `$REDIS_URL`.
struct RedisOptions: ParsableArguments {
    @Option(name: .customLong("redis-url"), help: "Redis URL (default: $REDIS_URL), e.g. redis://127.0.0.1:6379/0.")
    var redisURL: String?

    func configuration(clientName: String) throws -> RedisConfiguration {
        guard let text = redisURL ?? ProcessEnvironment()["REDIS_URL"] else {
            throw ValidationError("no Redis: pass --redis-url or set REDIS_URL, e.g. redis://127.0.0.1:6379")
        }
        do {
            var configuration = try RedisConfiguration(url: text)
            if configuration.clientName == nil { configuration.clientName = clientName }
            return configuration
        } catch {
            throw ValidationError(error.message)
        }
    }
}

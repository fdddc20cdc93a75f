import Foundation
import HTTPTypes
public import Hummingbird
import Queue
import Logging
public import Redis
import Domain

/// At most `limit` requests per `window` per caller, counted in Redis so every API instance
/// shares the budget. Answers carry `RateLimit-Limit`, `RateLimit-Remaining` and
/// `RateLimit-Reset`; over the limit, 429 with `Retry-After`. When Redis cannot be reached the
/// request is let through (and logged): the limiter protects the platform, it must not stop it.
public struct RateLimitMiddleware: RouterMiddleware {
    public typealias Context = APIRequestContext
    let redis: RedisClient
    let script: RedisScript
    let limit: Int
    let window: Duration
    let keyPrefix: String

    public init(redis: RedisClient, limit: Int = 100, window: Duration = .seconds(60), keyPrefix: String = "obotcall:ratelimit:") throws {
        self.redis = redis
        self.script = try RedisScript.resource("rate_limit", bundle: "obotcall-jobs_API.resources")
        self.limit = max(1, limit)
        self.window = window
        self.keyPrefix = keyPrefix
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let identity = context.identity else { return try await next(request, context) }
        let windowMilliseconds = window.milliseconds
        let now = Int(Date().timeIntervalSince1970 * 1000)
        let windowStart = now - now % max(1, windowMilliseconds)
        let key = "\(keyPrefix){\(identity.userID.lowercasedText)}:\(windowStart)"
        let count: Int
        let resetMilliseconds: Int
        do {
            let reply = try await redis.execute(script, keys: [.string(key)], arguments: [.int(limit), .int(windowMilliseconds)])
            let values = try [Int](fromRESP: reply)
            guard values.count == 2 else { return try await next(request, context) }
            (count, resetMilliseconds) = (values[0], values[1])
        } catch {
            context.logger.warning("rate limiter unavailable; request let through", metadata: ["error": "\(error)"])
            return try await next(request, context)
        }
        let resetSeconds = max(1, (resetMilliseconds + 999) / 1000)
        var headers: HTTPFields = [:]
        headers[.rateLimitLimit] = "\(limit)"
        headers[.rateLimitRemaining] = "\(max(0, limit - count))"
        headers[.rateLimitReset] = "\(resetSeconds)"
        guard count <= limit else {
            headers[.retryAfter] = "\(resetSeconds)"
            throw HTTPError(
                .tooManyRequests, headers: headers, message: "rate limit of \(limit) requests per \(window) reached; retry in \(resetSeconds) s")
        }
        var response = try await next(request, context)
        for field in headers { response.headers.append(field) }
        return response
    }
}

import HTTPTypes
public import Hummingbird
import Logging

/// Gives every request an id — the caller's `X-Request-Id` when it is a sane token, else the one
/// Hummingbird already attached to the request's logger — returned in the response's
/// `X-Request-Id` and carried by every log line of the request (`hb.request.id`).
///
/// Reusing Hummingbird's id keeps the common case free of a second id and a second logger copy.
public struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id: String
        var context = context
        if let given = request.headers[.requestID].flatMap(Self.accept) {
            id = given
            context.logger[metadataKey: Self.metadataKey] = "\(given)"
        } else {
            id = context.id
        }
        var response = try await next(request, context)
        response.headers[.requestID] = id
        return response
    }

    /// The logger metadata key Hummingbird files its request id under.
    static var metadataKey: String { "hb.request.id" }

    /// 1–128 characters of letters, digits, `-`, `_`, `.`: anything else could forge log lines.
    static func accept(_ value: String) -> String? {
        guard (1...128).contains(value.count),
            value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") })
        else { return nil }
        return value
    }
}

import Foundation
import HTTPTypes
public import Hummingbird
import Logging

/// Gives every request an id — the caller's `X-Request-Id` when it is a sane token, else a new
/// one — returned in the response's `X-Request-Id` and attached to every log line of the request.
public struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = request.headers[.requestID].flatMap(Self.accept) ?? UUID().uuidString.lowercased()
        var context = context
        context.logger[metadataKey: "request_id"] = "\(id)"
        var response = try await next(request, context)
        response.headers[.requestID] = id
        return response
    }

    /// 1–128 characters of letters, digits, `-`, `_`, `.`: anything else could forge log lines.
    static func accept(_ value: String) -> String? {
        guard (1...128).contains(value.count),
              value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") })
        else { return nil }
        return value
    }
}

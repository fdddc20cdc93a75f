import Foundation
public import Hummingbird
import Logging
import NIOCore

/// Turns every failure into the platform's error envelope, `{ "error": "message" }`, with the
/// right status, and hides the details of unexpected errors behind a logged 500.
public struct ErrorEnvelopeMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            var message = error.body ?? ""
            if message.isEmpty { message = error.status.reasonPhrase }
            return Self.response(status: error.status, message: message, headers: error.headers)
        } catch let error as any HTTPResponseError {
            let message = String(describing: error)
            return Self.response(status: error.status, message: message.isEmpty ? error.status.reasonPhrase : message, headers: [:])
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            return Self.response(status: .internalServerError, message: "internal server error", headers: [:])
        }
    }

    static func response(status: HTTPResponse.Status, message: String, headers: HTTPFields) -> Response {
        let body = (try? JSONEncoder().encode(["error": message])) ?? Data(#"{"error":"internal server error"}"#.utf8)
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

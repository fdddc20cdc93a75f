import Domain
import Foundation
public import Hummingbird
import Logging
import NIOCore
import OpenAPIRuntime
import Queue
import Redis
import Store

/// Turns every failure into the platform's error envelope, `{ "error": "message" }`, with the
/// right status, and hides the details of unexpected errors behind a logged 500.
public struct ErrorEnvelopeMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(for: error, logger: context.logger)
        }
    }

    /// The answer for a failure; the generated server's wrapper is looked through.
    static func response(for thrown: any Error, logger: Logger) -> Response {
        var error = thrown
        if let server = error as? ServerError {
            // The generated server wraps what the handler or a middleware threw, or names what
            // it could not decode (which the contract check should have caught first).
            if let decoding = server.underlyingError as? DecodingError {
                return response(status: .badRequest, message: decoding.fieldDescription, headers: [:])
            }
            if server.operationInput == nil, !(server.underlyingError is RequestRejection), !(server.underlyingError is HTTPError),
                (400..<500).contains(server.httpStatus.code)
            {
                return response(status: server.httpStatus, message: server.causeDescription, headers: [:])
            }
            error = server.underlyingError
        }
        do {
            throw error
        } catch let error as RequestRejection {
            let http = error.httpError
            return response(status: http.status, message: http.body ?? http.status.reasonPhrase, headers: http.headers)
        } catch let error as HTTPError {
            var message = error.body ?? ""
            if message.isEmpty { message = error.status.reasonPhrase }
            return Self.response(status: error.status, message: message, headers: error.headers)
        } catch let error as StoreError {
            let status = Self.status(for: error)
            if status == .internalServerError {
                logger.error("database error", metadata: ["error": "\(error)"])
                return Self.response(status: status, message: "internal server error", headers: [:])
            }
            return Self.response(
                status: status, message: status == .serviceUnavailable ? "the database is unavailable; retry later" : error.message,
                headers: status == .serviceUnavailable ? [.retryAfter: "5"] : [:])
        } catch let error as QueueError {
            let status = Self.status(for: error)
            if status == .internalServerError { logger.error("queue error", metadata: ["error": "\(error)"]) }
            return Self.response(status: status, message: status == .internalServerError ? "internal server error" : error.message, headers: [:])
        } catch let error as RedisClientError {
            logger.error("redis unavailable", metadata: ["error": "\(error)"])
            return Self.response(status: .serviceUnavailable, message: "the job queue is unavailable; retry later", headers: [.retryAfter: "5"])
        } catch let error as any HTTPResponseError {
            let message = String(describing: error)
            return Self.response(status: error.status, message: message.isEmpty ? error.status.reasonPhrase : message, headers: [:])
        } catch {
            logger.error("unhandled error", metadata: ["error": "\(error)"])
            return Self.response(status: .internalServerError, message: "internal server error", headers: [:])
        }
    }

    static func status(for error: StoreError) -> HTTPResponse.Status {
        switch error.kind {
        case .notFound: return .notFound
        case .uniqueViolation, .conflictRetry: return .conflict
        case .foreignKeyViolation, .constraintViolation, .invalidInput: return .badRequest
        case .permissionDenied: return .forbidden
        case .unavailable: return .serviceUnavailable
        case .other: return .internalServerError
        }
    }

    static func status(for error: QueueError) -> HTTPResponse.Status {
        switch error.code {
        case .dataTooLarge: return .contentTooLarge
        case .invalidData, .invalidJobID, .invalidOption: return .badRequest
        case .jobNotFound: return .notFound
        case .wrongState, .jobLocked, .lockLost, .notPaused, .activeJobs: return .conflict
        default: return .internalServerError
        }
    }

    static func response(status: HTTPResponse.Status, message: String, headers: HTTPFields) -> Response {
        let body = (try? CanonicalJSON.encoder.encode(["error": message])) ?? Data(#"{"error":"internal server error"}"#.utf8)
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

import Foundation
public import Hummingbird

extension Request {
    /// Decodes the JSON body, answering 400 with the offending field named when it does not fit.
    public func decodeInput<T: Decodable>(_ type: T.Type, context: APIRequestContext) async throws -> T {
        let body: ByteBuffer
        do {
            body = try await self.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw HTTPError(.contentTooLarge, message: "the body is larger than \(context.maxUploadSize) bytes")
        }
        do {
            return try context.requestDecoder.decode(T.self, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, message: Self.describe(error))
        } catch {
            throw HTTPError(.badRequest, message: "the body is not valid JSON")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let joined = codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return joined.isEmpty ? "body" : joined
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): is required"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): must be \(Self.name(of: type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): must be \(Self.name(of: type)), not null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "the body is not valid JSON" }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "the body does not match the expected shape"
        }
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Double.Type: return "a number"
        case is Bool.Type: return "a boolean"
        case is Date.Type: return "an ISO 8601 date"
        default: return "\(type)"
        }
    }
}

/// A 400 naming the field that failed validation.
func invalid(_ field: String, _ message: String) -> HTTPError {
    HTTPError(.badRequest, message: "\(field): \(message)")
}

import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Runs before every generated operation: checks the request against the document
/// (``RequestChecker``) and reads the body, at most `maxBodySize` bytes (413 beyond), so the
/// generated decoding only ever sees requests the document allows.
///
/// The generated server checks types but not bounds, lengths, patterns or formats, and reads a
/// body without limit; this is the layer that makes the document's rules the server's rules.
struct ContractMiddleware: ServerMiddleware {
    let checker: RequestChecker
    let maxBodySize: Int

    init(contract: OpenAPIContract, maxBodySize: Int = 1 << 20) {
        self.checker = RequestChecker(contract: contract)
        self.maxBodySize = maxBodySize
    }

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let operation = try checker.contract.operation(operationID)
        try checker.checkParameters(
            of: operation, pathParameters: metadata.pathParameters, target: request.path, headers: request.headerFields)
        guard operation.body != nil else { return try await next(request, nil, metadata) }
        let bytes = try await Self.collect(body, upTo: maxBodySize)
        let mediaType = try checker.mediaType(of: operation, headers: request.headerFields, bodyIsEmpty: bytes.isEmpty)
        if mediaType == "application/json" { try checker.checkJSONBody(bytes, of: operation) }
        return try await next(request, bytes.isEmpty ? nil : HTTPBody(bytes), metadata)
    }

    /// The whole body, or 413 once it passes `limit` bytes (nothing more is read).
    static func collect(_ body: HTTPBody?, upTo limit: Int) async throws -> ArraySlice<UInt8> {
        guard let body else { return [] }
        if case .known(let length) = body.length, length > limit {
            throw RequestRejection.contentTooLarge("the body is larger than \(limit) bytes")
        }
        var bytes: ArraySlice<UInt8> = []
        for try await chunk in body {
            guard chunk.count <= limit - bytes.count else {
                throw RequestRejection.contentTooLarge("the body is larger than \(limit) bytes")
            }
            bytes.append(contentsOf: chunk)
        }
        return bytes
    }
}

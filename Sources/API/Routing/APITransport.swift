import Foundation
import HTTPTypes
public import Hummingbird
public import OpenAPIRuntime

/// Where the generated server registers its operations: `/api/…` routes on the authenticated
/// group (auth, rate limit, request scope), the rest on the bare router; each registration is
/// recorded in the route book.
///
/// The conversion between Hummingbird and the generated code is done here rather than with
/// swift-openapi-hummingbird's: measured on the enqueue route, its per-chunk copies and its
/// response written through an async sequence cost a fifth of the API's throughput. Here a
/// request body arrives as one buffer (read up to `maxBodySize`, 413 beyond) and an answer of
/// known length leaves as one buffer; only a stream (Server-Sent Events) is written as it comes.
struct APITransport: ServerTransport {
    let router: Router<APIRequestContext>
    let api: RouterGroup<APIRequestContext>
    let book: APIRouteBook
    let operationIDs: [String: String]
    let maxBodySize: Int

    init(router: Router<APIRequestContext>, api: RouterGroup<APIRequestContext>, book: APIRouteBook, contract: OpenAPIContract, maxBodySize: Int) {
        self.router = router
        self.api = api
        self.book = book
        var ids: [String: String] = [:]
        for route in contract.routes { ids["\(route.method) \(route.path)"] = route.operationID }
        self.operationIDs = ids
        self.maxBodySize = maxBodySize
    }

    func register(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method, path: String
    ) throws {
        let limit = maxBodySize
        let responder: @Sendable (Request, APIRequestContext) async throws -> Response = { request, context in
            var body: HTTPBody?
            if request.head.method == .post || request.head.method == .put || request.head.method == .patch {
                let buffer: ByteBuffer
                do {
                    buffer = try await request.body.collect(upTo: limit)
                } catch {
                    throw HTTPError(.contentTooLarge, message: "the body is larger than \(limit) bytes")
                }
                body = HTTPBody(ArraySlice(buffer.readableBytesView))
            }
            var parameters: [String: Substring] = [:]
            for (name, value) in context.parameters { parameters[String(name)] = value }
            let (head, answer) = try await handler(request.head, body, ServerRequestMetadata(pathParameters: parameters))
            return try await Self.response(head, body: answer)
        }
        if path.hasPrefix("/api/") {
            api.on(RouterPath(String(path.dropFirst("/api".count))), method: method, use: responder)
        } else {
            router.on(RouterPath(path), method: method, use: responder)
        }
        book.record(APIRouteDescription(method: method, path: path, operationID: operationIDs["\(method.rawValue) \(path)"] ?? ""))
    }

    static func response(_ head: HTTPResponse, body: HTTPBody?) async throws -> Response {
        guard let body else { return Response(status: head.status, headers: head.headerFields) }
        if case .known(let length) = body.length, length <= 16 << 20 {
            var buffer = ByteBuffer()
            buffer.reserveCapacity(Int(length))
            for try await chunk in body { buffer.writeBytes(chunk) }
            return Response(status: head.status, headers: head.headerFields, body: .init(byteBuffer: buffer))
        }
        let chunks = body.map { ByteBuffer(bytes: $0) }
        return Response(status: head.status, headers: head.headerFields, body: .init(asyncSequence: chunks))
    }
}

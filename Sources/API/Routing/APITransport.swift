import Foundation
import HTTPTypes
public import Hummingbird
import OpenAPIHummingbird
public import OpenAPIRuntime

/// Where the generated server registers its operations: `/api/…` routes on the authenticated
/// group (auth, rate limit, request scope), the rest on the bare router; each registration is
/// recorded in the route book. The conversion between Hummingbird and OpenAPI requests is
/// swift-openapi-hummingbird's.
struct APITransport: ServerTransport {
    let router: Router<APIRequestContext>
    let api: RouterGroup<APIRequestContext>
    let book: APIRouteBook
    let operationIDs: [String: String]

    /// `operationIDs`: "METHOD path" → operation id, from the document (for the book).
    init(router: Router<APIRequestContext>, api: RouterGroup<APIRequestContext>, book: APIRouteBook, contract: OpenAPIContract) {
        self.router = router
        self.api = api
        self.book = book
        var ids: [String: String] = [:]
        for route in contract.routes { ids["\(route.method) \(route.path)"] = route.operationID }
        self.operationIDs = ids
    }

    func register(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method, path: String
    ) throws {
        if path.hasPrefix("/api/") {
            api.register(handler, method: method, path: String(path.dropFirst("/api".count)))
        } else {
            router.register(handler, method: method, path: path)
        }
        book.record(APIRouteDescription(method: method, path: path, operationID: operationIDs["\(method.rawValue) \(path)"] ?? ""))
    }
}

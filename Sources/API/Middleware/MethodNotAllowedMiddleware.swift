import HTTPTypes
public import Hummingbird

/// Turns the router's 404 for a path that exists under other methods into 405 with `Allow`.
public struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let book: APIRouteBook

    public init(book: APIRouteBook) {
        self.book = book
    }

    /// No endpoint matched: Hummingbird's not-found responder marks the path `NotFound`, while a
    /// handler's own 404 carries its route's template.
    static func unrouted(_ endpointPath: String?) -> Bool {
        endpointPath == nil || endpointPath == "NotFound"
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && Self.unrouted(context.endpointPath) {
            let methods = book.methods(forPath: request.uri.path)
            guard !methods.isEmpty else { throw error }
            let allow = methods.map(\.rawValue).sorted().joined(separator: ", ")
            throw HTTPError(
                .methodNotAllowed, headers: [.allow: allow], message: "\(request.method.rawValue) is not allowed on \(request.uri.path); use \(allow)"
            )
        }
    }
}

public import Hummingbird

/// Binds the request's context (caller, logger) as ``APIRequestContext/current`` for the rest of
/// the chain, so the generated operations' handlers, which receive only their typed input, know
/// who is calling. Placed after ``AuthMiddleware``.
public struct RequestScopeMiddleware: RouterMiddleware {
    public typealias Context = APIRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await APIRequestContext.$current.withValue(context) {
            try await next(request, context)
        }
    }
}

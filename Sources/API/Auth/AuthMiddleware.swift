public import Hummingbird
import Domain
import Logging

/// Requires `Authorization: Bearer <jwt>` and puts the verified caller in the context; anything
/// else is a 401 in the error envelope.
public struct AuthMiddleware: RouterMiddleware {
    public typealias Context = APIRequestContext
    let verifier: TokenVerifier

    public init(verifier: TokenVerifier) {
        self.verifier = verifier
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "missing Authorization: Bearer token")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "Authorization must be 'Bearer <token>'")
        }
        var context = context
        do {
            context.identity = try await verifier.identity(fromToken: String(parts[1]))
        } catch {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""], message: error.description)
        }
        context.logger[metadataKey: "tenant"] = "\(context.identity?.tenant?.description ?? "-")"
        return try await next(request, context)
    }
}

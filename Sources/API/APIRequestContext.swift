import Domain
public import Foundation
public import Hummingbird

/// The per-request context of the API: Hummingbird's core storage plus the caller.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AuthMiddleware`` on every `/api` route.
    public var identity: Identity?

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// Bodies up to 1 MiB (larger uploads have routes of their own).
    public var maxUploadSize: Int { Self.maximumJSONBody }

    static let maximumJSONBody = 1 << 20

    public var requestDecoder: JSONDecoder { Self.decoder }

    public var responseEncoder: JSONEncoder { Self.encoder }

    /// Shared, not built per request: both are safe to use from many tasks at once, and their
    /// configuration never changes after this.
    static var decoder: JSONDecoder { CanonicalJSON.decoder }

    static var encoder: JSONEncoder { CanonicalJSON.encoder }

    /// The context of the request the current task serves, bound by ``RequestScopeMiddleware``
    /// for the generated operations (whose handlers receive only their typed input).
    @TaskLocal static var current: APIRequestContext?

    /// The current request's context; a wiring error when no middleware bound it.
    static func requireCurrent() throws -> APIRequestContext {
        guard let current else { throw HTTPError(.internalServerError, message: "no request context is bound") }
        return current
    }

    /// The caller, or 401.
    public func requireIdentity() throws -> Identity {
        guard let identity else { throw HTTPError(.unauthorized, message: "authentication required") }
        return identity
    }
}

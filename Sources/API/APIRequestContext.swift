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
    public var maxUploadSize: Int { 1 << 20 }

    public var requestDecoder: JSONDecoder { Self.decoder }

    public var responseEncoder: JSONEncoder { Self.encoder }

    /// Shared, not built per request: both are safe to use from many tasks at once, and their
    /// configuration never changes after this.
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The caller, or 401.
    public func requireIdentity() throws -> Identity {
        guard let identity else { throw HTTPError(.unauthorized, message: "authentication required") }
        return identity
    }
}

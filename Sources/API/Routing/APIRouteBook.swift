public import Hummingbird
import Synchronization

/// One route the server registered, as the document names it.
public struct APIRouteDescription: Sendable, Equatable {
    public let method: HTTPRequest.Method
    /// OpenAPI syntax, e.g. `/api/interventions/{id}`.
    public let path: String
    public let operationID: String

    func matches(path other: String) -> Bool {
        let candidate = other.split(separator: "/")
        let pattern = path.split(separator: "/")
        guard candidate.count == pattern.count else { return false }
        return zip(pattern, candidate).allSatisfy { $0.first == "{" || $0 == $1 }
    }
}

/// Records every route as it is registered (by the generated code through ``APITransport``, or by
/// hand), so the 405 answers come from the registrations themselves and a test can compare them
/// with the document.
public final class APIRouteBook: Sendable {
    private let routes = Mutex<[APIRouteDescription]>([])

    public init() {}

    public var all: [APIRouteDescription] { routes.withLock { $0 } }

    public func record(_ route: APIRouteDescription) {
        routes.withLock { $0.append(route) }
    }

    /// The methods served at a concrete request path (empty when no route has that shape).
    func methods(forPath path: String) -> [HTTPRequest.Method] {
        var methods: [HTTPRequest.Method] = []
        for route in all where route.matches(path: path) && !methods.contains(route.method) {
            methods.append(route.method)
        }
        return methods
    }
}

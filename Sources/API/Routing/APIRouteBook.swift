public import Hummingbird
import Synchronization

/// One route of the API, as documented in `/openapi.json`.
public struct APIRouteDescription: Sendable, Equatable {
    public let method: HTTPRequest.Method
    /// Hummingbird syntax, e.g. `/api/interventions/:id`.
    public let path: String
    public let summary: String
    public let tag: String
    public let requiresAuthentication: Bool
    /// The status of a successful answer.
    public let successStatus: Int
    /// The media type of a successful answer.
    public let produces: String

    /// The path's segments; `:name` segments match any one segment.
    var segments: [Substring] { path.split(separator: "/") }

    func matches(path other: String) -> Bool {
        let candidate = other.split(separator: "/")
        let pattern = segments
        guard candidate.count == pattern.count else { return false }
        return zip(pattern, candidate).allSatisfy { $0.first == ":" || $0 == $1 }
    }
}

/// Records every route as it is registered, so the OpenAPI document and the 405 answers are
/// derived from the registrations themselves and cannot drift from the router.
public final class APIRouteBook: Sendable {
    private let routes = Mutex<[APIRouteDescription]>([])

    public init() {}

    public var all: [APIRouteDescription] { routes.withLock { $0 } }

    public func record(_ route: APIRouteDescription) {
        routes.withLock { $0.append(route) }
    }

    public func record(
        _ method: HTTPRequest.Method, _ path: String, _ summary: String, tag: String,
        requiresAuthentication: Bool = false, produces: String = "application/json"
    ) {
        record(APIRouteDescription(
            method: method, path: path, summary: summary, tag: tag, requiresAuthentication: requiresAuthentication,
            successStatus: 200, produces: produces))
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

/// Registers routes on a router group and records them in the route book.
public struct RouteRegistrar<Group: RouterMethods<APIRequestContext>> {
    let group: Group
    let prefix: String
    let tag: String
    let requiresAuthentication: Bool
    let book: APIRouteBook

    public init(_ group: Group, prefix: String, tag: String, requiresAuthentication: Bool = true, book: APIRouteBook) {
        self.group = group
        self.prefix = prefix
        self.tag = tag
        self.requiresAuthentication = requiresAuthentication
        self.book = book
    }

    /// The same group and book, documented under another tag.
    public func tagged(_ tag: String) -> RouteRegistrar<Group> {
        RouteRegistrar(group, prefix: prefix, tag: tag, requiresAuthentication: requiresAuthentication, book: book)
    }

    public func on<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, _ summary: String, status: Int = 200,
        produces: String = "application/json",
        use handler: @escaping @Sendable (Request, APIRequestContext) async throws -> Output
    ) {
        group.on(RouterPath(path), method: method, use: handler)
        book.record(APIRouteDescription(
            method: method, path: prefix + path, summary: summary, tag: tag,
            requiresAuthentication: requiresAuthentication, successStatus: status, produces: produces))
    }

    public func get<Output: ResponseGenerator>(
        _ path: String, _ summary: String, produces: String = "application/json",
        use handler: @escaping @Sendable (Request, APIRequestContext) async throws -> Output
    ) {
        on(.get, path, summary, produces: produces, use: handler)
    }

    public func post<Output: ResponseGenerator>(
        _ path: String, _ summary: String, status: Int = 200,
        use handler: @escaping @Sendable (Request, APIRequestContext) async throws -> Output
    ) {
        on(.post, path, summary, status: status, use: handler)
    }

    public func patch<Output: ResponseGenerator>(
        _ path: String, _ summary: String, use handler: @escaping @Sendable (Request, APIRequestContext) async throws -> Output
    ) {
        on(.patch, path, summary, use: handler)
    }

    public func delete<Output: ResponseGenerator>(
        _ path: String, _ summary: String, status: Int = 204,
        use handler: @escaping @Sendable (Request, APIRequestContext) async throws -> Output
    ) {
        on(.delete, path, summary, status: status, use: handler)
    }
}

import HTTPTypes
public import Hummingbird

/// Cross-origin access for the configured frontends only.
///
/// A request from an allowed origin gets that origin echoed in `Access-Control-Allow-Origin`
/// (with `Vary: Origin`) and the headers a frontend may read; a preflight (`OPTIONS` with
/// `Access-Control-Request-Method`) is answered here with 204, or 403 for an origin that is not
/// allowed. `*` in the list allows every origin. Requests without `Origin` are untouched.
public struct CORSPolicyMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: Set<String>
    let allowsAll: Bool
    let maxAge: Int

    static var allowedMethods: String { "GET, POST, PUT, PATCH, DELETE, OPTIONS" }
    static var allowedHeaders: String { "Authorization, Content-Type, X-Request-Id, Last-Event-ID" }
    static var exposedHeaders: String {
        "X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Location"
    }

    public init(origins: [String], maxAge: Int = 600) {
        self.origins = Set(origins.map { Self.normalize($0) })
        self.allowsAll = origins.contains("*")
        self.maxAge = maxAge
    }

    static func normalize(_ origin: String) -> String {
        var text = origin.lowercased()
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    func allows(_ origin: String) -> Bool {
        allowsAll || origins.contains(Self.normalize(origin))
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let isPreflight = request.method == .options && request.headers[.accessControlRequestMethod] != nil
        if isPreflight {
            guard allows(origin) else {
                return ErrorEnvelopeMiddleware<Context>.response(
                    status: .forbidden, message: "origin \(origin) is not allowed to call this API", headers: [:])
            }
            var headers = corsHeaders(origin)
            headers[.accessControlAllowMethods] = Self.allowedMethods
            headers[.accessControlAllowHeaders] = Self.allowedHeaders
            headers[.accessControlMaxAge] = "\(maxAge)"
            return Response(status: .noContent, headers: headers)
        }
        guard allows(origin) else { return try await next(request, context) }
        // Placed outside the error envelope, so error answers carry the headers too (else the
        // frontend would only see a network failure).
        var response = try await next(request, context)
        for field in corsHeaders(origin) { response.headers[field.name] = field.value }
        return response
    }

    func corsHeaders(_ origin: String) -> HTTPFields {
        var headers: HTTPFields = [:]
        headers[.accessControlAllowOrigin] = origin
        headers[.vary] = "Origin"
        headers[.accessControlExposeHeaders] = Self.exposedHeaders
        return headers
    }
}

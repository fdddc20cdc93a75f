import Foundation
import HTTPTypes
import Hummingbird

/// Serves the admin dashboard at `/admin/`: static files, no authentication (the page signs in
/// with a token and calls the JSON API with it), under a Content-Security-Policy that allows
/// only the dashboard's own scripts, styles and API calls — no inline script, no other origin.
struct DashboardRoutes: Sendable {
    let assets: DashboardAssets

    /// Every answer's security headers.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    func register(on router: Router<APIRequestContext>, book: APIRouteBook) {
        router.get("/admin") { request, _ in
            // `/admin` without the slash would resolve the page's relative addresses against `/`.
            guard request.uri.path.hasSuffix("/") else {
                return Response(status: .permanentRedirect, headers: Self.headers([.location: "/admin/"]))
            }
            return try self.answer(Self.index, request: request)
        }
        router.get("/admin/{file}") { request, context in
            try self.answer(context.parameters.get("file") ?? "", request: request)
        }
        book.record(APIRouteDescription(method: .get, path: "/admin/", operationID: "getDashboard"))
        book.record(APIRouteDescription(method: .get, path: "/admin/{file}", operationID: "getDashboardAsset"))
    }

    private static let index = DashboardAssets.indexName
    /// The document's bound on `If-None-Match`.
    static let maximumIfNoneMatch = 1_000

    func answer(_ name: String, request: Request) throws -> Response {
        guard DashboardAssets.isServable(name), let file = assets.files[name] else {
            throw HTTPError(.notFound, message: "the dashboard has no file named \(name.prefix(100))")
        }
        var headers = Self.headers([.eTag: file.entityTag, .cacheControl: "no-cache"])
        let asked = request.headers[values: .ifNoneMatch].joined(separator: ",")
        guard asked.unicodeScalars.count <= Self.maximumIfNoneMatch else {
            throw HTTPError(.badRequest, message: "If-None-Match: must be at most \(Self.maximumIfNoneMatch) characters")
        }
        if !asked.isEmpty,
            asked.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == file.entityTag })
        {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = file.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: file.bytes))
    }

    static func headers(_ extra: HTTPFields) -> HTTPFields {
        var headers: HTTPFields = [
            .contentSecurityPolicy: contentSecurityPolicy, .xContentTypeOptions: "nosniff", .referrerPolicy: "no-referrer",
        ]
        headers.append(contentsOf: extra)
        return headers
    }
}

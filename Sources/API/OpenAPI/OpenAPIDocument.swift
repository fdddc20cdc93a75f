import Foundation
public import Hummingbird

/// The OpenAPI 3.1 description of the API, generated from the route book: every registered route
/// appears with its summary, path parameters, authentication and success status, and the error
/// envelope as the answer to every failure.
public struct OpenAPIDocument: ResponseEncodable, Sendable {
    public struct Info: Codable, Sendable {
        var title: String
        var version: String
        var description: String
    }

    public struct Parameter: Codable, Sendable {
        var name: String
        var `in`: String
        var required: Bool
        var schema: Schema
    }

    public struct Schema: Codable, Sendable {
        var ref: String?
        var type: String?
        var required: [String]?
        var properties: [String: Schema]?

        enum CodingKeys: String, CodingKey {
            case ref = "$ref", type, required, properties
        }
    }

    public struct MediaType: Codable, Sendable {
        var schema: Schema
    }

    public struct Answer: Codable, Sendable {
        var description: String
        var content: [String: MediaType]?
    }

    public struct Operation: Codable, Sendable {
        var summary: String
        var operationId: String
        var tags: [String]
        var parameters: [Parameter]?
        var security: [[String: [String]]]?
        var responses: [String: Answer]
    }

    public struct SecurityScheme: Codable, Sendable {
        var type: String
        var scheme: String
        var bearerFormat: String
    }

    public struct Components: Codable, Sendable {
        var securitySchemes: [String: SecurityScheme]
        var schemas: [String: Schema]
    }

    public var openapi: String
    public var info: Info
    /// Path (OpenAPI syntax) → lowercase method → operation.
    public var paths: [String: [String: Operation]]
    public var components: Components

    public init(routes: [APIRouteDescription], version: String = "1.0.0") {
        openapi = "3.1.0"
        info = Info(
            title: "Obotcall jobs API", version: version,
            description: "Jobs, interventions, properties and agents of the Obotcall platform. Every failure answers "
                + "{\"error\": message}; tenant routes act for the tenant named by the bearer token.")
        var paths: [String: [String: Operation]] = [:]
        for route in routes {
            paths[Self.openAPIPath(route.path), default: [:]][route.method.rawValue.lowercased()] = Self.operation(route)
        }
        self.paths = paths
        let errorSchema = Schema(type: "object", required: ["error"], properties: ["error": Schema(type: "string")])
        components = Components(
            securitySchemes: ["bearer": SecurityScheme(type: "http", scheme: "bearer", bearerFormat: "JWT")],
            schemas: ["Error": errorSchema])
    }

    /// `/api/jobs/:queue/:id` → `/api/jobs/{queue}/{id}`.
    static func openAPIPath(_ path: String) -> String {
        let segments = path.split(separator: "/").map { segment -> String in
            segment.first == ":" ? "{\(segment.dropFirst())}" : String(segment)
        }
        return "/" + segments.joined(separator: "/")
    }

    static func parameters(of path: String) -> [String] {
        path.split(separator: "/").filter { $0.first == ":" }.map { String($0.dropFirst()) }
    }

    static func operation(_ route: APIRouteDescription) -> Operation {
        let errorContent = ["application/json": MediaType(schema: Schema(ref: "#/components/schemas/Error"))]
        var success = Answer(description: route.summary)
        if route.successStatus != 204 {
            success.content = [route.produces: MediaType(schema: Schema())]
        }
        let names = parameters(of: route.path)
        let parameters = names.map { name in
            Parameter(name: name, in: "path", required: true, schema: Schema(type: "string"))
        }
        return Operation(
            summary: route.summary,
            operationId: operationID(route),
            tags: [route.tag],
            parameters: parameters.isEmpty ? nil : parameters,
            security: route.requiresAuthentication ? [["bearer": []]] : nil,
            responses: [
                String(route.successStatus): success,
                "default": Answer(description: "Failure, in the error envelope", content: errorContent),
            ])
    }

    /// `POST /api/interventions/:id/notifications` → `post_api_interventions_id_notifications`.
    static func operationID(_ route: APIRouteDescription) -> String {
        let words = route.path.split(separator: "/").map { segment -> String in
            String(segment.first == ":" ? segment.dropFirst() : segment).replacing("-", with: "_")
        }
        return ([route.method.rawValue.lowercased()] + words).joined(separator: "_")
    }
}

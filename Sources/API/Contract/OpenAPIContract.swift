public import Domain
import Foundation
import Yams

/// The API's OpenAPI document (`Sources/API/openapi.yaml`), loaded once per process.
///
/// It is the contract three ways: the server's routes and types are generated from it
/// (`Sources/API/Generated`), `/openapi.json` and `/openapi.yaml` serve it, and
/// ``ContractMiddleware`` checks every request's parameters and body against it before a handler
/// runs — so the bounds a client reads are the bounds the server enforces.
public struct OpenAPIContract: Sendable {
    /// The document as written.
    public let yaml: String
    /// The document as a JSON tree (for `$ref` resolution and the rules).
    let document: JSONValue
    /// Every operation, by `operationId`.
    let operations: [String: OperationContract]
    let validator: SchemaValidator

    /// The document bundled with the API target.
    public static func bundled() throws -> OpenAPIContract {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw ContractError("the API's openapi.yaml is missing from its bundle")
        }
        return try OpenAPIContract(yaml: String(contentsOf: url, encoding: .utf8))
    }

    public init(yaml: String) throws {
        guard let root = try Yams.compose(yaml: yaml) else { throw ContractError("openapi.yaml is empty") }
        let document = try Self.json(from: root)
        self.yaml = yaml
        self.document = document
        self.validator = try SchemaValidator(document: document)
        self.operations = try Self.operations(in: document, validator: validator)
    }

    /// The operation with this id; a programming error (not a request's) when it is missing.
    func operation(_ id: String) throws -> OperationContract {
        guard let operation = operations[id] else { throw ContractError("openapi.yaml has no operation \(id)") }
        return operation
    }

    /// Every operation with its method and path, for the route book and the router-parity test.
    public var routes: [(operationID: String, method: String, path: String, authenticated: Bool)] {
        operations.values.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
            .map { ($0.id, $0.method, $0.path, $0.requiresAuthentication) }
    }

    static let methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    static func operations(in document: JSONValue, validator: SchemaValidator) throws -> [String: OperationContract] {
        guard case .object(let paths)? = document["paths"] else { throw ContractError("openapi.yaml has no paths") }
        let defaultSecurity = document["security"]
        var operations: [String: OperationContract] = [:]
        for (path, item) in paths {
            let shared = try parameters(item["parameters"], validator: validator)
            for method in methods {
                guard let operation = item[method] else { continue }
                guard let id = operation["operationId"]?.string else {
                    throw ContractError("\(method.uppercased()) \(path) has no operationId")
                }
                var merged = shared
                for parameter in try parameters(operation["parameters"], validator: validator) {
                    merged.removeAll { $0.name == parameter.name && $0.location == parameter.location }
                    merged.append(parameter)
                }
                let security = operation["security"] ?? defaultSecurity
                let authenticated: Bool
                if case .array(let requirements)? = security { authenticated = !requirements.isEmpty } else { authenticated = false }
                operations[id] = OperationContract(
                    id: id, method: method.uppercased(), path: path, parameters: merged,
                    body: try body(operation["requestBody"], validator: validator), requiresAuthentication: authenticated)
            }
        }
        return operations
    }

    static func parameters(_ list: JSONValue?, validator: SchemaValidator) throws -> [ParameterContract] {
        guard case .array(let items)? = list else { return [] }
        return try items.map { item in
            let parameter = try validator.resolve(item)
            guard let name = parameter["name"]?.string, let location = parameter["in"]?.string.flatMap(ParameterContract.Location.init) else {
                throw ContractError("a parameter without name or location: \(parameter.text)")
            }
            var required = false
            if case .bool(let value)? = parameter["required"] { required = value }
            return ParameterContract(
                name: name, location: location, required: required || location == .path, schema: parameter["schema"] ?? .object([:]))
        }
    }

    static func body(_ requestBody: JSONValue?, validator: SchemaValidator) throws -> BodyContract? {
        guard let requestBody else { return nil }
        let resolved = try validator.resolve(requestBody)
        guard case .object(let content)? = resolved["content"] else { return nil }
        var required = false
        if case .bool(let value)? = resolved["required"] { required = value }
        var schemas: [String: JSONValue] = [:]
        for (mediaType, entry) in content { schemas[mediaType.lowercased()] = entry["schema"] ?? .object([:]) }
        return BodyContract(required: required, schemas: schemas)
    }

    /// A YAML node as JSON, with YAML's resolved scalar types (a quoted '200' stays a string).
    static func json(from node: Node) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            // YAML 1.2's core schema for plain scalars; quoted and block scalars are strings.
            guard scalar.style == .plain else { return .string(scalar.string) }
            let text = scalar.string
            switch text {
            case "null", "Null", "NULL", "~", "": return .null
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            default:
                if let integer = Int(text) { return .number(Double(integer)) }
                if text.first.map({ $0 == "-" || $0 == "." || $0.isNumber }) == true, let number = Double(text), number.isFinite {
                    return .number(number)
                }
                return .string(text)
            }
        case .sequence(let sequence):
            return .array(try sequence.map(json(from:)))
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.string else { throw ContractError("a mapping key that is not a string: \(key)") }
                object[name] = try json(from: value)
            }
            return .object(object)
        case .alias:
            throw ContractError("openapi.yaml must not use YAML aliases")
        }
    }
}

/// A parameter as the document declares it.
struct ParameterContract: Sendable {
    enum Location: String, Sendable {
        case path, query, header, cookie
    }

    let name: String
    let location: Location
    let required: Bool
    let schema: JSONValue
}

/// A request body as the document declares it: its schema per media type.
struct BodyContract: Sendable {
    let required: Bool
    /// Lowercased media type (`application/json`) → schema.
    let schemas: [String: JSONValue]

    var mediaTypes: [String] { schemas.keys.sorted() }
}

/// One operation of the document.
struct OperationContract: Sendable {
    let id: String
    /// `GET`, `POST`, …
    let method: String
    /// OpenAPI syntax: `/api/interventions/{id}`.
    let path: String
    let parameters: [ParameterContract]
    let body: BodyContract?
    let requiresAuthentication: Bool
}

/// The document itself is unusable (a bug in `openapi.yaml`, not in a request).
public struct ContractError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

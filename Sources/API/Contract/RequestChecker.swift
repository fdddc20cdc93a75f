import Domain
import Foundation
import HTTPTypes
import Hummingbird

/// Checks one request against its operation in the document, before anything decodes or acts on
/// it: every path, query and header parameter (present when required, of its type, within its
/// bounds, in its enum, of its pattern and format), the body's media type, and a JSON body
/// against its schema. Pure: the caller has read the body already.
struct RequestChecker: Sendable {
    let contract: OpenAPIContract

    /// Parameters, from the router's path parameters and the raw request.
    func checkParameters(
        of operation: OperationContract, pathParameters: [String: Substring], target: String?, headers: HTTPFields
    ) throws(RequestRejection) {
        let query = Self.queryItems(of: target)
        for parameter in operation.parameters {
            var values: [String]
            switch parameter.location {
            case .path:
                values =
                    pathParameters[parameter.name].map { raw in
                        [raw.contains("%") ? (String(raw).removingPercentEncoding ?? String(raw)) : String(raw)]
                    } ?? []
            case .query:
                guard let found = query[parameter.name] else { values = []; break }
                values = []
                for raw in found {
                    guard let decoded = Self.decodeQueryValue(raw) else {
                        throw .badRequest(ContractViolation(field: parameter.name, message: "is not properly percent-encoded"))
                    }
                    values.append(decoded)
                }
            case .header:
                // An empty header says nothing (EventSource sends an empty Last-Event-ID after a reset).
                values = (HTTPField.Name(parameter.name).map { headers[values: $0] } ?? []).filter { !$0.isEmpty }
            case .cookie:
                values = []
            }
            if values.isEmpty {
                if parameter.required { throw .badRequest(ContractViolation(field: parameter.name, message: "is required")) }
                continue
            }
            for text in values {
                let value = try Self.typed(
                    text, schema: (try? contract.validator.resolve(parameter.schema)) ?? parameter.schema, name: parameter.name)
                if let problem = contract.validator.problem(with: value, schema: parameter.schema, at: parameter.name) {
                    // A path naming something that is not there (a queue the API has no
                    // name for) is a missing resource, as it always was.
                    if parameter.location == .path, case .array? = (try? contract.validator.resolve(parameter.schema))?["enum"] {
                        throw .notFound("no \(parameter.name) named '\(text)'")
                    }
                    throw .badRequest(problem)
                }
            }
        }
    }

    /// The body's media type, checked against those the operation takes; `nil` when it takes none.
    func mediaType(of operation: OperationContract, headers: HTTPFields, bodyIsEmpty: Bool) throws(RequestRejection) -> String? {
        guard let body = operation.body else { return nil }
        let declared = headers[.contentType].map(Self.mediaType(of:))
        guard let declared, !declared.isEmpty else {
            if bodyIsEmpty && body.required { throw .badRequest(ContractViolation(field: "body", message: "is required")) }
            if bodyIsEmpty { return nil }
            throw .unsupportedMediaType("Content-Type must be \(body.mediaTypes.joined(separator: " or "))")
        }
        guard body.schemas[declared] != nil else {
            throw .unsupportedMediaType("Content-Type must be \(body.mediaTypes.joined(separator: " or ")), not '\(declared)'")
        }
        return declared
    }

    /// A text value against the operation's body schema for `mediaType`.
    func checkText(_ text: String, mediaType: String, of operation: OperationContract) throws(RequestRejection) {
        guard let schema = operation.body?.schemas[mediaType] else { return }
        if let problem = contract.validator.problem(with: .string(text), schema: schema, at: "body") { throw .badRequest(problem) }
    }

    /// `Application/JSON; charset=utf-8` → `application/json`.
    static func mediaType(of contentType: String) -> String {
        let essence = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
        let trimmed = essence.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
        return String(decoding: trimmed, as: UTF8.self).lowercased()
    }

    /// A JSON body against the operation's schema for `application/json`; returns the checked
    /// value (`nil` for an empty body, or when the operation takes no JSON).
    @discardableResult
    func checkJSONBody(_ bytes: some Collection<UInt8>, of operation: OperationContract) throws(RequestRejection) -> JSONValue? {
        guard let schema = operation.body?.schemas["application/json"] else { return nil }
        if bytes.isEmpty {
            if operation.body?.required == true { throw .badRequest(ContractViolation(field: "body", message: "is required")) }
            return nil
        }
        let value: JSONValue
        do {
            value = try JSONReader.parse(Array(bytes))
        } catch {
            throw .badRequest(ContractViolation(field: "body", message: "is not valid JSON (\(error.reason))"))
        }
        if let problem = contract.validator.problem(with: value, schema: schema, at: "body") { throw .badRequest(problem) }
        return value
    }

    /// A parameter's text as the JSON value its schema describes (so one validator serves both).
    static func typed(_ text: String, schema: JSONValue, name: String) throws(RequestRejection) -> JSONValue {
        let types = SchemaValidator.types(of: schema)
        if types.contains("integer") {
            guard let value = Int(text) else { throw .badRequest(ContractViolation(field: name, message: "must be a whole number")) }
            return .number(Double(value))
        }
        if types.contains("number") {
            guard let value = Double(text), value.isFinite else { throw .badRequest(ContractViolation(field: name, message: "must be a number")) }
            return .number(value)
        }
        if types.contains("boolean") {
            switch text {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: throw .badRequest(ContractViolation(field: name, message: "must be true or false"))
            }
        }
        return .string(text)
    }

    /// Raw (still percent-encoded) query values by name.
    static func queryItems(of target: String?) -> [String: [Substring]] {
        guard let target, let mark = target.firstIndex(of: "?") else { return [:] }
        var items: [String: [Substring]] = [:]
        for pair in target[target.index(after: mark)...].split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let rawName = parts.first, let name = decodeQueryValue(rawName) else { continue }
            items[name, default: []].append(parts.count > 1 ? parts[1] : "")
        }
        return items
    }

    /// `+` is a space and `%2B` a plus, as the generated code reads form-style query values.
    static func decodeQueryValue(_ raw: Substring) -> String? {
        guard raw.contains("%") || raw.contains("+") else { return String(raw) }
        return String(raw).replacing("+", with: " ").removingPercentEncoding
    }
}

/// Why a request was refused before reaching its handler.
enum RequestRejection: Error, Sendable {
    case badRequest(ContractViolation)
    case notFound(String)
    case unsupportedMediaType(String)
    case contentTooLarge(String)
}

extension RequestRejection {
    var httpError: HTTPError {
        switch self {
        case .badRequest(let violation): return HTTPError(.badRequest, message: violation.description)
        case .notFound(let message): return HTTPError(.notFound, message: message)
        case .unsupportedMediaType(let message): return HTTPError(.unsupportedMediaType, message: message)
        case .contentTooLarge(let message): return HTTPError(.contentTooLarge, message: message)
        }
    }
}

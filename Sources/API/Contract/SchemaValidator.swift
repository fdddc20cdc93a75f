import Domain
import Foundation

/// Checks a value against a schema of the API's document, the JSON Schema keywords the document
/// uses: `$ref`, `type` (one or a list), `enum`, `minLength`/`maxLength` (in Unicode code points,
/// as JSON Schema and PostgreSQL's `length()` count), `pattern` (ECMA-style, searched, on code
/// points), `format` (`uuid`, `date-time`), `minimum`/`maximum`, `minItems`/`maxItems`,
/// `uniqueItems`, `items`, `required`, `properties`, `additionalProperties`, `anyOf`.
///
/// The first problem found is reported as a ``ContractViolation`` naming the field in the caller's
/// terms (`title`, `channels[1]`, `limit`).
struct SchemaValidator: Sendable {
    let document: JSONValue
    /// Every `pattern` of the document, compiled once.
    private let patterns: [String: PatternMatcher]
    /// Every `$ref` of the document, resolved once (a request's check then follows a reference
    /// with one dictionary lookup).
    private let references: [String: JSONValue]

    init(document: JSONValue) throws {
        self.document = document
        var found: Set<String> = []
        Self.collectPatterns(in: document, into: &found)
        var referenced: Set<String> = []
        Self.collectReferences(in: document, into: &referenced)
        var references: [String: JSONValue] = [:]
        for reference in referenced { references[reference] = try Self.follow(reference, in: document) }
        self.references = references
        var patterns: [String: PatternMatcher] = [:]
        for pattern in found {
            do {
                patterns[pattern] = try PatternMatcher(pattern)
            } catch {
                throw ContractError("openapi.yaml has a pattern Swift cannot compile: \(pattern) (\(error))")
            }
        }
        self.patterns = patterns
    }

    private static func collectReferences(in value: JSONValue, into found: inout Set<String>) {
        switch value {
        case .object(let object):
            if let reference = object["$ref"]?.string { found.insert(reference) }
            for child in object.values { collectReferences(in: child, into: &found) }
        case .array(let array):
            for child in array { collectReferences(in: child, into: &found) }
        default:
            break
        }
    }

    /// The node a local reference (`#/components/schemas/Job`) points at.
    private static func follow(_ reference: String, in document: JSONValue) throws -> JSONValue {
        guard reference.hasPrefix("#/") else { throw ContractError("only local references are supported: \(reference)") }
        var node = document
        for token in reference.dropFirst(2).split(separator: "/") {
            let key = String(token).replacing("~1", with: "/").replacing("~0", with: "~")
            guard let next = node[key] else { throw ContractError("dangling $ref \(reference)") }
            node = next
        }
        return node
    }

    private static func collectPatterns(in value: JSONValue, into found: inout Set<String>) {
        switch value {
        case .object(let object):
            if let pattern = object["pattern"]?.string { found.insert(pattern) }
            for child in object.values { collectPatterns(in: child, into: &found) }
        case .array(let array):
            for child in array { collectPatterns(in: child, into: &found) }
        default:
            break
        }
    }

    /// Follows `$ref` (local references only) until a schema without one.
    func resolve(_ schema: JSONValue) throws -> JSONValue {
        var current = schema
        var hops = 0
        while let reference = current["$ref"]?.string {
            hops += 1
            guard hops < 32, let node = references[reference] else { throw ContractError("unusable $ref \(reference)") }
            current = node
        }
        return current
    }

    /// `nil` when `value` fits `schema`, else the first problem.
    func problem(with value: JSONValue, schema: JSONValue, at field: String) -> ContractViolation? {
        guard let schema = try? resolve(schema) else { return ContractViolation(field: field, message: "cannot be checked (the document is broken)") }
        if case .array(let alternatives)? = schema["anyOf"] {
            let problems = alternatives.map { problem(with: value, schema: $0, at: field) }
            if problems.contains(where: { $0 == nil }) { return nil }
            return problems.compactMap { $0 }.first
        }
        let types = Self.types(of: schema)
        if !types.isEmpty, !types.contains(where: { Self.value(value, hasType: $0) }) {
            if case .null = value { return ContractViolation(field: field, message: "must not be null") }
            return ContractViolation(field: field, message: "must be \(Self.describe(types))")
        }
        if case .array(let allowed)? = schema["enum"], !allowed.contains(value) {
            let names = allowed.compactMap(\.string)
            return ContractViolation(field: field, message: "must be one of \(names.joined(separator: ", "))")
        }
        switch value {
        case .string(let text):
            return stringProblem(text, schema: schema, at: field)
        case .number(let number):
            return Self.numberProblem(number, schema: schema, at: field)
        case .array(let items):
            return arrayProblem(items, schema: schema, at: field)
        case .object(let object):
            return objectProblem(object, schema: schema, at: field)
        case .bool, .null:
            return nil
        }
    }

    private func stringProblem(_ text: String, schema: JSONValue, at field: String) -> ContractViolation? {
        let length = text.unicodeScalars.count
        let minimum = schema["minLength"]?.number.map(Int.init)
        let maximum = schema["maxLength"]?.number.map(Int.init)
        if let minimum, length < minimum {
            if minimum == 1 { return ContractViolation(field: field, message: "must not be empty") }
            return ContractViolation(field: field, message: Self.lengthRule(minimum, maximum))
        }
        if let maximum, length > maximum { return ContractViolation(field: field, message: Self.lengthRule(minimum, maximum)) }
        if let pattern = schema["pattern"]?.string, let matcher = patterns[pattern], !matcher.matches(text) {
            return ContractViolation(field: field, message: matcher.message)
        }
        switch schema["format"]?.string {
        case "uuid":
            if UUID(text: text) == nil { return ContractViolation(field: field, message: "must be a UUID") }
        case "date-time":
            if RFC3339.parse(text) == nil {
                return ContractViolation(field: field, message: "must be an RFC 3339 date-time such as 2026-12-01T09:00:00Z")
            }
        default:
            break
        }
        return nil
    }

    private static func lengthRule(_ minimum: Int?, _ maximum: Int?) -> String {
        switch (minimum, maximum) {
        case (let low?, let high?) where low > 0: return "must be \(low) to \(high) characters"
        case (_, let high?): return "must be at most \(high) characters"
        case (let low?, nil): return "must be at least \(low) characters"
        default: return "has the wrong length"
        }
    }

    private static func numberProblem(_ number: Double, schema: JSONValue, at field: String) -> ContractViolation? {
        let minimum = schema["minimum"]?.number
        let maximum = schema["maximum"]?.number
        let outside = (minimum.map { number < $0 } ?? false) || (maximum.map { number > $0 } ?? false)
        guard outside else { return nil }
        switch (minimum, maximum) {
        case (let low?, let high?): return ContractViolation(field: field, message: "must be between \(format(low)) and \(format(high))")
        case (let low?, nil): return ContractViolation(field: field, message: "must be at least \(format(low))")
        case (nil, let high?): return ContractViolation(field: field, message: "must be at most \(format(high))")
        default: return nil
        }
    }

    private func arrayProblem(_ items: [JSONValue], schema: JSONValue, at field: String) -> ContractViolation? {
        if let minimum = schema["minItems"]?.number, Double(items.count) < minimum {
            return ContractViolation(field: field, message: "must have at least \(Int(minimum)) item\(minimum == 1 ? "" : "s")")
        }
        if let maximum = schema["maxItems"]?.number, Double(items.count) > maximum {
            return ContractViolation(field: field, message: "must have at most \(Int(maximum)) item\(maximum == 1 ? "" : "s")")
        }
        if case .bool(true)? = schema["uniqueItems"] {
            for (index, item) in items.enumerated() where items[..<index].contains(item) {
                return ContractViolation(field: "\(field)[\(index)]", message: "repeats an earlier item")
            }
        }
        if let itemSchema = schema["items"] {
            for (index, item) in items.enumerated() {
                if let problem = problem(with: item, schema: itemSchema, at: "\(field)[\(index)]") { return problem }
            }
        }
        return nil
    }

    private func objectProblem(_ object: [String: JSONValue], schema: JSONValue, at field: String) -> ContractViolation? {
        func name(_ key: String) -> String { field == "body" ? key : "\(field).\(key)" }
        if case .array(let required)? = schema["required"] {
            for case .string(let key) in required where object[key] == nil {
                return ContractViolation(field: name(key), message: "is required")
            }
        }
        let properties: [String: JSONValue]
        if case .object(let declared)? = schema["properties"] { properties = declared } else { properties = [:] }
        for key in object.keys.sorted() {
            guard let value = object[key] else { continue }
            if let propertySchema = properties[key] {
                if let problem = problem(with: value, schema: propertySchema, at: name(key)) { return problem }
            } else if let extra = schema["additionalProperties"] {
                if case .bool(false) = extra { return ContractViolation(field: name(key), message: "is not a known field") }
                if case .object = extra, let problem = problem(with: value, schema: extra, at: name(key)) { return problem }
            }
        }
        return nil
    }

    static func types(of schema: JSONValue) -> [String] {
        switch schema["type"] {
        case .string(let type)?: return [type]
        case .array(let types)?: return types.compactMap(\.string)
        default: return []
        }
    }

    static func value(_ value: JSONValue, hasType type: String) -> Bool {
        switch (value, type) {
        case (.null, "null"), (.bool, "boolean"), (.string, "string"), (.array, "array"), (.object, "object"), (.number, "number"):
            return true
        case (.number(let number), "integer"):
            return number.isFinite && number.rounded(.towardZero) == number
        default:
            return false
        }
    }

    static func describe(_ types: [String]) -> String {
        let names = types.filter { $0 != "null" }.map { type -> String in
            switch type {
            case "string": return "a string"
            case "integer": return "a whole number"
            case "number": return "a number"
            case "boolean": return "true or false"
            case "array": return "an array"
            case "object": return "an object"
            default: return type
            }
        }
        return names.joined(separator: " or ") + (types.contains("null") ? " (or null)" : "")
    }

    static func format(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }
}

/// A field that failed a rule: `title` and `must be at most 300 characters`.
struct ContractViolation: Error, Sendable, Equatable, CustomStringConvertible {
    let field: String
    let message: String

    var description: String { "\(field): \(message)" }
}

public import Domain

/// The JSON-schema subset tools declare their parameters with, and the check run on every call's
/// arguments before the tool sees them: an object with typed properties (string, integer,
/// number, boolean), `enum`, `minimum`/`maximum`, `maxLength`, `required`, and no unknown keys.
public struct ToolSchema: Sendable, Equatable {
    public struct Property: Sendable, Equatable {
        public enum Kind: String, Sendable {
            case string, integer, number, boolean
        }

        public var kind: Kind
        public var description: String
        public var allowed: [String]?
        public var minimum: Double?
        public var maximum: Double?
        public var maxLength: Int?

        public init(
            _ kind: Kind, _ description: String, allowed: [String]? = nil, minimum: Double? = nil, maximum: Double? = nil,
            maxLength: Int? = nil
        ) {
            self.kind = kind
            self.description = description
            self.allowed = allowed
            self.minimum = minimum
            self.maximum = maximum
            self.maxLength = maxLength
        }
    }

    public var properties: [String: Property]
    public var required: [String]

    public init(properties: [String: Property], required: [String] = []) {
        self.properties = properties
        self.required = required
    }

    /// The schema as JSON Schema, for the model.
    public var json: JSONValue {
        var properties: [String: JSONValue] = [:]
        for (name, property) in self.properties {
            var object: [String: JSONValue] = [
                "type": .string(property.kind.rawValue), "description": .string(property.description),
            ]
            if let allowed = property.allowed { object["enum"] = .array(allowed.map(JSONValue.string)) }
            if let minimum = property.minimum { object["minimum"] = .number(minimum) }
            if let maximum = property.maximum { object["maximum"] = .number(maximum) }
            if let maxLength = property.maxLength { object["maxLength"] = .number(Double(maxLength)) }
            properties[name] = .object(object)
        }
        return .object([
            "type": .string("object"), "properties": .object(properties),
            "required": .array(required.sorted().map(JSONValue.string)), "additionalProperties": .bool(false),
        ])
    }

    /// The arguments as an object, or every problem with them in one message the model can act on.
    public func validate(_ text: String) -> Result<[String: JSONValue], ToolError> {
        guard let parsed = JSONValue(text: text.isEmpty ? "{}" : text), case .object(let arguments) = parsed else {
            return .failure(ToolError("arguments must be a JSON object"))
        }
        var problems: [String] = []
        for name in required.sorted() where arguments[name] == nil || arguments[name] == .null {
            problems.append("\(name) is required")
        }
        for (name, value) in arguments.sorted(by: { $0.key < $1.key }) {
            guard let property = properties[name] else {
                problems.append("\(name) is not a parameter (expected: \(properties.keys.sorted().joined(separator: ", ")))")
                continue
            }
            if value == .null { continue }
            if let problem = Self.check(value, against: property) { problems.append("\(name) \(problem)") }
        }
        return problems.isEmpty ? .success(arguments) : .failure(ToolError("invalid arguments: " + problems.joined(separator: "; ")))
    }

    static func check(_ value: JSONValue, against property: Property) -> String? {
        switch (property.kind, value) {
        case (.string, .string(let text)):
            if let allowed = property.allowed, !allowed.contains(text) { return "must be one of \(allowed.joined(separator: ", "))" }
            if let maxLength = property.maxLength, text.count > maxLength { return "must be at most \(maxLength) characters" }
            return nil
        case (.integer, .number(let number)) where number.rounded() == number,
            (.number, .number(let number)):
            if let minimum = property.minimum, number < minimum { return "must be at least \(minimum)" }
            if let maximum = property.maximum, number > maximum { return "must be at most \(maximum)" }
            return nil
        case (.boolean, .bool):
            return nil
        default:
            return "must be \(property.kind == .integer ? "an integer" : "a \(property.kind.rawValue)")"
        }
    }
}

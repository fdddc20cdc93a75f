/// A property as an import row or an API body describes it, validated.
///
/// Imports and the API share these rules: a row that breaks one is rejected with every field
/// problem named, and the rest of the import goes on.
public struct PropertyDraft: Sendable, Equatable, Codable {
    public var externalRef: String
    public var title: String
    public var propertyType: PropertyType
    public var price: Double?
    public var surface: Double?
    public var rooms: Int?
    public var postalCode: String?
    public var city: String?
    public var address: String?

    public enum PropertyType: String, Sendable, Codable, CaseIterable {
        case apartment, house, land, commercial, parking, other
    }

    public init(
        externalRef: String, title: String, propertyType: PropertyType, price: Double? = nil, surface: Double? = nil,
        rooms: Int? = nil, postalCode: String? = nil, city: String? = nil, address: String? = nil
    ) {
        self.externalRef = externalRef
        self.title = title
        self.propertyType = propertyType
        self.price = price
        self.surface = surface
        self.rooms = rooms
        self.postalCode = postalCode
        self.city = city
        self.address = address
    }

    /// The column names an import may use for each field (snake or camel case).
    static let aliases: [String: String] = [
        "external_ref": "external_ref", "externalref": "external_ref", "ref": "external_ref", "reference": "external_ref",
        "title": "title", "property_type": "property_type", "propertytype": "property_type", "type": "property_type",
        "price": "price", "surface": "surface", "area": "surface", "rooms": "rooms", "postal_code": "postal_code",
        "postalcode": "postal_code", "zip": "postal_code", "city": "city", "address": "address",
    ]

    /// The canonical field name of a column header, or `nil` for a column imports ignore.
    public static func field(forColumn column: String) -> String? {
        aliases[TextRules.trimmed(column).lowercased().replacing("-", with: "_")]
    }

    /// How `validate` reads its fields.
    public enum Reading: Sendable {
        /// Import cells: blanks around values are dropped, an empty cell is an absent field, the
        /// property type matches in any case, and a number may use a decimal comma.
        case lenient
        /// API bodies: values as given (an absent field is a missing key), as the API's document
        /// describes them.
        case exact
    }

    /// Validates one row given as canonical field name → text, with the database's own rules:
    /// lengths in code points, no NUL.
    public static func validate(_ fields: [String: String], reading: Reading = .lenient) -> Result<PropertyDraft, FieldProblems> {
        var problems: [FieldProblem] = []
        func text(_ name: String) -> String? {
            guard let value = fields[name] else { return nil }
            guard reading == .lenient else { return value }
            let trimmed = TextRules.trimmed(value)
            return trimmed.isEmpty ? nil : trimmed
        }
        func checked(_ name: String, _ value: String, maximum: Int) -> String {
            if TextRules.containsNUL(value) {
                problems.append(FieldProblem(field: name, message: "must not contain NUL characters"))
            } else if TextRules.length(value) > maximum {
                problems.append(FieldProblem(field: name, message: "must be at most \(maximum) characters"))
            }
            return value
        }
        func required(_ name: String, maximum: Int) -> String {
            guard let value = text(name), !TextRules.isBlank(value) else {
                problems.append(FieldProblem(field: name, message: "is required"))
                return ""
            }
            return checked(name, value, maximum: maximum)
        }
        func optional(_ name: String, maximum: Int) -> String? {
            text(name).map { checked(name, $0, maximum: maximum) }
        }
        func number(_ name: String, range: ClosedRange<Double>, description: String) -> Double? {
            guard let value = text(name) else { return nil }
            // A decimal comma (54,5) is as common in French files as a point.
            let normalized = reading == .lenient && value.contains(",") ? value.replacing(",", with: ".") : value
            guard let parsed = Double(normalized), parsed.isFinite else {
                problems.append(FieldProblem(field: name, message: "'\(value.prefix(40))' is not a number"))
                return nil
            }
            guard range.contains(parsed) else {
                problems.append(FieldProblem(field: name, message: description))
                return nil
            }
            return parsed
        }

        let externalRef = required("external_ref", maximum: 100)
        let title = required("title", maximum: 300)
        var propertyType = PropertyType.other
        if let value = text("property_type") {
            if let parsed = PropertyType(rawValue: reading == .lenient ? value.lowercased() : value) {
                propertyType = parsed
            } else {
                problems.append(
                    FieldProblem(
                        field: "property_type",
                        message: "'\(value.prefix(40))' is not one of \(PropertyType.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        } else {
            problems.append(FieldProblem(field: "property_type", message: "is required"))
        }
        let price = number("price", range: 0...999_999_999_999, description: "must be between 0 and 999999999999")
        let surface = number("surface", range: 0.01...99_999_999, description: "must be between 0.01 and 99999999")
        var rooms: Int?
        if let value = text("rooms") {
            if let parsed = Int(value), (0...1_000).contains(parsed) {
                rooms = parsed
            } else {
                problems.append(FieldProblem(field: "rooms", message: "must be a whole number between 0 and 1000"))
            }
        }
        let postalCode = text("postal_code")
        if let postalCode, !Self.isPostalCode(postalCode) {
            problems.append(
                FieldProblem(
                    field: "postal_code",
                    message: "'\(postalCode.prefix(40))' is not a postal code (3 to 10 letters, digits, spaces or dashes, with a digit)"))
        }
        let city = optional("city", maximum: 100)
        let address = optional("address", maximum: 300)
        guard problems.isEmpty else { return .failure(FieldProblems(problems: problems)) }
        return .success(
            PropertyDraft(
                externalRef: externalRef, title: title, propertyType: propertyType, price: price, surface: surface,
                rooms: rooms, postalCode: postalCode, city: city, address: address))
    }

    /// 3 to 10 ASCII letters, digits, spaces or dashes, at least one a digit (the API document's
    /// pattern for `postalCode`).
    static func isPostalCode(_ text: String) -> Bool {
        let scalars = text.unicodeScalars
        return (3...10).contains(scalars.count)
            && scalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == " " || $0 == "-" }
            && scalars.contains { ("0"..."9").contains($0) }
    }
}

/// Everything wrong with one row.
public struct FieldProblems: Error, Sendable, Equatable, Codable {
    public var problems: [FieldProblem]
}

/// One field of one row that failed validation.
public struct FieldProblem: Sendable, Equatable, Codable {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

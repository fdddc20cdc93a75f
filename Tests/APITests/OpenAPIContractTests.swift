import Crypto
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
import Yams
@testable import API

/// The document, the generated code and the router agree; the document is served as written;
/// and its rules are the rules requests meet.
struct OpenAPIContractTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func sha256(_ path: String) throws -> String {
        let data = try Data(contentsOf: root.appendingPathComponent(path))
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// `Sources/API/Generated` was made from the committed document and settings
    /// (`scripts/generate-openapi` writes their digests into every generated file).
    @Test func generatedCodeComesFromTheCommittedDocument() throws {
        let document = try Self.sha256("Sources/API/openapi.yaml")
        let settings = try Self.sha256("Sources/API/openapi-generator-config.yaml")
        let generated = Self.root.appendingPathComponent("Sources/API/Generated")
        let files = try FileManager.default.contentsOfDirectory(atPath: generated.path).filter { $0.hasSuffix(".swift") }
        #expect(files.count >= 2)
        for file in files {
            let head = try String(contentsOf: generated.appendingPathComponent(file), encoding: .utf8).prefix(400)
            #expect(head.contains("openapi.yaml sha256: \(document)"), "\(file) is stale: run scripts/generate-openapi")
            #expect(head.contains("openapi-generator-config.yaml sha256: \(settings)"), "\(file) is stale: run scripts/generate-openapi")
        }
    }

    /// Every documented operation is served, with the document's method and path, and nothing
    /// else is (the router's routes, not only the book).
    @Test func theRouterServesExactlyTheDocumentedOperations() async throws {
        try await APIHarness.with { harness in
            let contract = try APIApplication.contract()
            let (router, book) = try APIApplication.build(harness.dependencies)
            func normalized(_ path: String) -> String {
                "/" + path.split(separator: "/").map { $0.first == ":" ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            }
            let served = Set(router.routes.map { "\($0.method.rawValue) \(normalized($0.path.description))" })
            // The router does not keep a trailing slash (`/admin/` is registered as `/admin`).
            let documented = Set(contract.routes.map { "\($0.method) \(normalized($0.path))" })
            #expect(documented.count >= 35)
            #expect(served.subtracting(documented).isEmpty, "served, not documented: \(served.subtracting(documented).sorted())")
            #expect(documented.subtracting(served).isEmpty, "documented, not served: \(documented.subtracting(served).sorted())")
            let recorded = Set(book.all.map { "\($0.method.rawValue) \($0.path)" })
            #expect(recorded == Set(contract.routes.map { "\($0.method) \($0.path)" }))
            #expect(book.all.allSatisfy { !$0.operationID.isEmpty })
            for route in contract.routes {
                #expect(route.authenticated == route.path.hasPrefix("/api/"), "\(route.method) \(route.path): security does not match its prefix")
            }
        }
    }

    @Test func theDocumentIsServedAsWritten() async throws {
        try await APIHarness.with { harness in
            let contract = try APIApplication.contract()
            try await harness.app().test(.router) { client in
                let json = try await client.execute(uri: "/openapi.json", method: .get) { response in
                    #expect(response.status == .ok)
                    return try JSONDecoder().decode(JSONValue.self, from: Data(response.body.readableBytesView))
                }
                #expect(json == contract.document)
                #expect(json["openapi"]?.string == "3.1.0")
                let yaml = try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                    #expect(response.headers[.contentType]?.hasPrefix("application/yaml") == true)
                    return String(buffer: response.body)
                }
                let file = try String(contentsOf: Self.root.appendingPathComponent("Sources/API/openapi.yaml"), encoding: .utf8)
                #expect(yaml == file)
                // Every operation has an id and a summary, and its parameters say their schema.
                guard case .object(let paths)? = json["paths"] else { Issue.record("no paths"); return }
                for (path, item) in paths {
                    guard case .object(let operations) = item else { continue }
                    for (method, operation) in operations where method != "parameters" {
                        #expect(operation["operationId"]?.string?.isEmpty == false, "\(method) \(path)")
                        #expect(operation["summary"]?.string?.isEmpty == false, "\(method) \(path)")
                        #expect(operation["responses"] != nil, "\(method) \(path)")
                    }
                }
            }
        }
    }

    /// The defaults the document announces are the ones the handlers apply.
    @Test func documentedDefaultsAreApplied() throws {
        let contract = try APIApplication.contract()
        let validator = contract.validator
        let limit = try validator.resolve(.object(["$ref": .string("#/components/parameters/Limit")]))
        let offset = try validator.resolve(.object(["$ref": .string("#/components/parameters/Offset")]))
        let page = APIHandler.page(limit: nil, offset: nil)
        #expect(limit["schema"]?["default"]?.number == Double(page.limit))
        #expect(offset["schema"]?["default"]?.number == Double(page.offset))
        #expect(offset["schema"]?["maximum"]?.number == 100_000)
    }

    static func checker() throws -> RequestChecker { RequestChecker(contract: try APIApplication.contract()) }

    /// Parameters are checked against their schema, naming the parameter.
    @Test(arguments: [
        ("/api/jobs?queue=inter-notifications&offset=9223372036854775807", "offset: must be between 0 and 100000"),
        ("/api/jobs?queue=inter-notifications&offset=99999999999999999999999", "offset: must be a whole number"),
        ("/api/jobs?queue=inter-notifications&limit=0", "limit: must be between 1 and 200"),
        ("/api/jobs?queue=inter-notifications&limit=abc", "limit: must be a whole number"),
        ("/api/jobs?queue=inter-notifications&state=exploded", "state: must be one of"),
        ("/api/jobs?limit=5", "queue: is required"),
        ("/api/jobs?queue=nope", "queue: must be one of inter-notifications, immo-imports, agent-runs, agent-tools"),
        ("/api/jobs?queue=inter-notifications&offset=%zz", "offset: is not properly percent-encoded"),
    ])
    func queryParametersAreChecked(target: String, message: String) throws {
        let operation = try APIApplication.contract().operation("listJobs")
        #expect {
            try Self.checker().checkParameters(of: operation, pathParameters: [:], target: target, headers: [:])
        } throws: { error in
            guard case .badRequest(let violation) = error as? RequestRejection else { return false }
            return violation.description.hasPrefix(message)
        }
    }

    @Test func numberParametersMustBeFinite() throws {
        let operation = try APIApplication.contract().operation("listProperties")
        for target in ["/api/properties?minPrice=1e400", "/api/properties?maxPrice=nan", "/api/properties?minPrice=-1"] {
            #expect(throws: RequestRejection.self, "\(target)") {
                try Self.checker().checkParameters(of: operation, pathParameters: [:], target: target, headers: [:])
            }
        }
        try Self.checker().checkParameters(
            of: operation, pathParameters: [:], target: "/api/properties?minPrice=0.5&maxPrice=1e6&city=Saint+Denis&type=house",
            headers: [:])
    }

    /// Lengths count code points, as PostgreSQL's `length()` and JSON Schema do: 150 "é" written
    /// as e + combining accent are 150 characters to Swift but 300 to PostgreSQL.
    @Test func lengthsCountCodePoints() throws {
        let operation = try APIApplication.contract().operation("createIntervention")
        let decomposed = String(repeating: "e\u{301}", count: 150)
        #expect(decomposed.count == 150)
        let fits = #"{"reference":"R","title":"\#(decomposed)"}"#
        try Self.checker().checkJSONBody(Array(fits.utf8), of: operation)
        let over = #"{"reference":"R","title":"\#(decomposed)x"}"#
        #expect {
            try Self.checker().checkJSONBody(Array(over.utf8), of: operation)
        } throws: { error in
            guard case .badRequest(let violation) = error as? RequestRejection else { return false }
            return violation.description == "title: must be at most 300 characters"
        }
    }

    @Test(arguments: [
        ("2026-12-01T09:00:00Z", 1_796_115_600.0),
        ("2026-12-01t09:00:00z", 1_796_115_600.0),
        ("2026-12-01T10:30:00+01:30", 1_796_115_600.0),
        ("2026-12-01T09:00:00.250Z", 1_796_115_600.25),
        ("2024-02-29T00:00:00-00:00", 1_709_164_800.0),
    ])
    func rfc3339DateTimesParse(text: String, seconds: Double) {
        #expect(RFC3339.parse(text)?.timeIntervalSince1970 == seconds)
    }

    @Test(arguments: [
        "2026-02-29T00:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01 09:00:00Z", "2026-12-01T09:00:00", "2026-13-01T00:00:00Z",
        "2026-12-01T09:00:00.Z", "2026-12-01T09:00:00+25:00", "tomorrow", "",
    ])
    func malformedDateTimesAreRefused(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func datesAreWrittenAsBefore() {
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_796_115_600.75)) == "2026-12-01T09:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: .infinity)) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1e13)) == "9999-12-31T23:59:59Z")
    }

    /// The request that used to crash the process (`start + limit - 1` overflowed) is a 400, and
    /// the API keeps answering.
    @Test func theOverflowingOffsetIsA400AndTheProcessLives() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA, role: "viewer")
            try await harness.app().test(.router) { client in
                let answer = try await client.call(.get, "/api/jobs?queue=inter-notifications&offset=9223372036854775807", token: token)
                #expect(answer.status == .badRequest)
                #expect(answer.body["error"] as? String == "offset: must be between 0 and 100000")
                let admin = try await APIHarness.token(tenant: harness.tenantA, role: "admin")
                #expect(
                    try await client.call(.get, "/api/admin/queues/inter-notifications/jobs?state=failed&page=99999999", token: admin).status
                        == .badRequest)
                #expect(try await client.call(.get, "/api/jobs?queue=inter-notifications", token: token).status == .ok)
            }
        }
    }
}

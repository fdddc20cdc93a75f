import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Queue
import Store
import Testing
import TestSupport
@testable import API

struct PropertyRoutesTests {
    @Test func createFilterPatchAndDelete() async throws {
        try await APIHarness.with { harness in
            let member = try await APIHarness.token(tenant: harness.tenantA, role: "member")
            let admin = try await APIHarness.token(tenant: harness.tenantA)
            try await harness.app().test(.router) { client in
                let created = try await client.call(
                    .post, "/api/properties", token: member,
                    json: """
                        {"externalRef":"LY-1","title":"Flat","propertyType":"apartment","price":250000,"surface":54.5,"rooms":3,"postalCode":"69003","city":"Lyon"}
                        """)
                #expect(created.status == .created, "\(created.body)")
                let property = try #require(created.body["property"] as? [String: Any])
                let id = try #require(property["id"] as? String)
                #expect(property["surface"] as? Double == 54.5)
                _ = try await client.call(
                    .post, "/api/properties", token: member,
                    json: #"{"externalRef":"PA-1","title":"House","propertyType":"house","price":900000,"city":"Paris"}"#)
                _ = try await client.call(
                    .post, "/api/properties", token: member,
                    json: #"{"externalRef":"LY-2","title":"Lot","propertyType":"land","price":50000,"city":"Lyon"}"#)

                func refs(_ query: String) async throws -> [String] {
                    let list = try await client.call(.get, "/api/properties\(query)", token: member)
                    return (list.body["properties"] as? [[String: Any]])?.compactMap { $0["externalRef"] as? String } ?? []
                }
                #expect(try await refs("") == ["LY-1", "LY-2", "PA-1"])
                #expect(try await refs("?city=LYON") == ["LY-1", "LY-2"])
                #expect(try await refs("?type=house") == ["PA-1"])
                #expect(try await refs("?minPrice=100000&maxPrice=300000") == ["LY-1"])
                #expect(try await refs("?limit=1&offset=1") == ["LY-2"])
                #expect(try await client.call(.get, "/api/properties?type=castle", token: member).status == .badRequest)
                #expect(try await client.call(.get, "/api/properties?minPrice=-1", token: member).status == .badRequest)

                let patched = try await client.call(.patch, "/api/properties/\(id)", token: member, json: #"{"price":260000}"#)
                #expect(patched.status == .ok)
                #expect((patched.body["property"] as? [String: Any])?["price"] as? Double == 260_000)
                #expect((patched.body["property"] as? [String: Any])?["city"] as? String == "Lyon")
                let taken = try await client.call(.patch, "/api/properties/\(id)", token: member, json: #"{"externalRef":"PA-1"}"#)
                #expect(taken.status == .conflict)
                #expect(try await client.call(.delete, "/api/properties/\(id)", token: member).status == .forbidden)
                #expect(try await client.call(.delete, "/api/properties/\(id)", token: admin).status == .noContent)
                #expect(try await client.call(.get, "/api/properties/\(id)", token: admin).status == .notFound)
            }
        }
    }

    @Test(arguments: [
        (#"{"title":"T","propertyType":"house"}"#, "externalRef: is required"),
        (#"{"externalRef":"R","title":"T","propertyType":"castle"}"#, "propertyType:"),
        (#"{"externalRef":"R","title":"T","propertyType":"house","price":-1}"#, "price:"),
        (#"{"externalRef":"R","title":"T","propertyType":"house","postalCode":"x"}"#, "postalCode:"),
        (#"{"externalRef":"R","title":"T","propertyType":"house","rooms":"three"}"#, "rooms: must be a whole number"),
    ])
    func invalidPropertiesAre400NamingTheField(json: String, message: String) async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA)
            try await harness.app().test(.router) { client in
                let answer = try await client.call(.post, "/api/properties", token: token, json: json)
                #expect(answer.status == .badRequest)
                #expect((answer.body["error"] as? String)?.contains(message) == true, "\(answer.body)")
            }
        }
    }

    @Test func anotherTenantCannotReachProperties() async throws {
        try await APIHarness.with { harness in
            let tokenA = try await APIHarness.token(tenant: harness.tenantA)
            let tokenB = try await APIHarness.token(tenant: harness.tenantB)
            try await harness.app().test(.router) { client in
                let created = try await client.call(
                    .post, "/api/properties", token: tokenA, json: #"{"externalRef":"A-1","title":"A","propertyType":"house"}"#)
                let id = try #require((created.body["property"] as? [String: Any])?["id"] as? String)
                #expect(try await client.call(.get, "/api/properties/\(id)", token: tokenB).status == .notFound)
                #expect(try await client.call(.patch, "/api/properties/\(id)", token: tokenB, json: #"{"title":"B"}"#).status == .notFound)
                #expect(try await client.call(.delete, "/api/properties/\(id)", token: tokenB).status == .notFound)
                #expect((try await client.call(.get, "/api/properties", token: tokenB).body["properties"] as? [Any])?.isEmpty == true)
                #expect(try await client.call(.get, "/api/properties/\(id)", token: tokenA).status == .ok)
            }
        }
    }

    static func upload(
        _ client: some TestClientProtocol, token: String, body: String, contentType: String, query: String = ""
    ) async throws -> (status: HTTPResponse.Status, body: [String: Any]) {
        let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: contentType]
        return try await client.execute(
            uri: "/api/property-imports" + query, method: .post, headers: headers, body: ByteBuffer(string: body)
        ) { response in
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
            return (response.status, object)
        }
    }

    @Test func importIsStoredQueuedAndReadableByItsTenantOnly() async throws {
        try await APIHarness.with { harness in
            let tokenA = try await APIHarness.token(tenant: harness.tenantA, role: "member")
            let tokenB = try await APIHarness.token(tenant: harness.tenantB)
            try await harness.app().test(.router) { client in
                let accepted = try await Self.upload(
                    client, token: tokenA,
                    body: """
                        [{"external_ref":"J-1","title":"One","property_type":"house"}]
                        """, contentType: "application/json")
                #expect(accepted.status == .accepted, "\(accepted.body)")
                let record = try #require(accepted.body["import"] as? [String: Any])
                let id = try #require(record["id"] as? String)
                #expect(record["format"] as? String == "json")
                let job = try #require(accepted.body["job"] as? [String: Any])
                let jobID = try #require(job["id"] as? String)
                #expect(record["jobId"] as? String == jobID)
                let stored = try #require(try await harness.queue(QueueName.imports).job(jobID))
                #expect(try stored.decodeData(PropertyImportJob.self).importID == UUID(uuidString: id))
                #expect(stored.tenantID == harness.tenantA.description)

                let read = try await client.call(.get, "/api/property-imports/\(id)", token: tokenA)
                #expect(read.status == .ok)
                #expect((read.body["import"] as? [String: Any])?["status"] as? String == "queued")
                #expect(try await client.call(.get, "/api/property-imports/\(id)", token: tokenB).status == .notFound)
                #expect(try await client.call(.get, "/api/jobs/\(QueueName.imports)/\(jobID)", token: tokenB).status == .notFound)
            }
        }
    }

    @Test func unusableUploadsAreRefusedBeforeAnythingIsStored() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA)
            var dependencies = harness.dependencies
            dependencies.options.maxImportBody = 1_000
            let app = Application(router: try APIApplication.router(dependencies), logger: APIHarness.logger)
            try await app.test(.router) { client in
                let wrongType = try await Self.upload(client, token: token, body: "a,b\n", contentType: "text/plain")
                #expect(wrongType.status == .unsupportedMediaType)
                #expect(try await Self.upload(client, token: token, body: " \n ", contentType: "text/csv").status == .badRequest)
                let object = try await Self.upload(client, token: token, body: #"{"a":1}"#, contentType: "application/json")
                #expect(object.status == .badRequest)
                #expect((object.body["error"] as? String)?.contains("array") == true)
                let large = try await Self.upload(client, token: token, body: String(repeating: "x,y\n", count: 300), contentType: "text/csv")
                #expect(large.status == .contentTooLarge)
                let viewer = try await APIHarness.token(tenant: harness.tenantA, role: "viewer")
                #expect(try await Self.upload(client, token: viewer, body: "a,b\n1,2\n", contentType: "text/csv").status == .forbidden)
            }
            let count = try await harness.database.runtime.withTenant(harness.tenantA) { tx in
                try await tx.query("SELECT count(*)::int FROM immo_app.property_imports").first?.decode(Int.self) ?? -1
            }
            #expect(count == 0)
        }
    }
}

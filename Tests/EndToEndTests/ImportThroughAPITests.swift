import AsyncHTTPClient
import Domain
import Foundation
import NIOCore
import NIOHTTP1
import Store
import Testing
import TestSupport
import API

/// The whole path a frontend takes: upload a CSV to the real `obotcall api`, follow the job's
/// Server-Sent Events, let a real `obotcall worker` run it, then read the import and the properties.
struct ImportThroughAPITests {
    static let secret = "e2e-secret-of-at-least-thirty-two-bytes!!"

    @Test func uploadFollowImportAndListProperties() async throws {
        try await TestDatabase.with { database in
            let tenant = TenantID(UUID())
            try await TenantStore(database: database.owner).createTenant(id: tenant, slug: "e-\(tenant.description.prefix(6))", name: "E")
            let minted = try await ChildProcess.run(["token", "--tenant", tenant.description, "--role", "member", "--secret", Self.secret])
            let token = minted.output.trimmingCharacters(in: .whitespacesAndNewlines)
            let prefix = "e\(UUID().uuidString.prefix(6).lowercased())"
            let environment = [
                "DATABASE_URL": database.runtimeURL.absoluteString, "REDIS_URL": try TestEnvironment.redisURL(),
                "JWT_SECRET": Self.secret, "QUEUE_PREFIX": prefix,
            ]
            let (api, base) = try await BinaryStackTests.startAPI(environment: environment)
            defer { api.signal(SIGKILL) }

            // 1,200 rows (three batches) of which two are invalid.
            var csv = "external_ref;title;property_type;price;surface;rooms;postal_code;city\n"
            for index in 1...1_200 {
                let type = index == 7 ? "castle" : "apartment"
                let price = index == 900 ? "-5" : "\(150_000 + index)"
                csv += "E-\(index);Flat \(index);\(type);\(price);54,5;3;69003;Lyon\n"
            }
            let (status, accepted) = try await Self.send(
                "POST", base + "/api/property-imports", token: token, body: csv, contentType: "text/csv")
            #expect(status == 202, "\(accepted)")
            let importID = try #require((accepted["import"] as? [String: Any])?["id"] as? String)
            let jobID = try #require((accepted["job"] as? [String: Any])?["id"] as? String)
            #expect((accepted["import"] as? [String: Any])?["status"] as? String == "queued")

            // Follow the job before any worker runs, then start one once the stream is open.
            var request = HTTPClientRequest(url: base + "/api/jobs/\(QueueName.imports)/\(jobID)/events")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "Content-Type")?.hasPrefix("text/event-stream") == true)
            var events: [(name: String, data: String)] = []
            var text = ""
            var worker: ChildProcess?
            defer { worker?.signal(SIGKILL) }
            reading: for try await chunk in response.body {
                text += String(buffer: chunk)
                while let end = text.range(of: "\n\n") {
                    let frame = String(text[..<end.lowerBound])
                    text.removeSubrange(..<end.upperBound)
                    let lines = frame.split(separator: "\n")
                    guard let name = lines.first(where: { $0.hasPrefix("event: ") })?.dropFirst(7) else { continue }
                    let data = lines.first { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) } ?? ""
                    events.append((String(name), data))
                    if name == "state" {
                        worker = try ChildProcess(
                            ChildProcess.obotcallPath, ["worker", "--queue", QueueName.imports, "--metrics-port", "0"], environment: environment)
                    }
                    if name == "completed" || name == "failed" { break reading }
                }
            }
            let names = events.map(\.name)
            #expect(names.first == "state")
            #expect(names.last == "completed", "\(names); worker: \(worker?.standardError.suffix(2_000) ?? "")")
            let progress = events.filter { $0.name == "progress" }
            #expect(progress.count >= 3, "one progress event per batch: \(names)")
            if let firstProgress = names.firstIndex(of: "progress"), let completed = names.firstIndex(of: "completed") {
                #expect(firstProgress < completed)
            }

            let (readStatus, read) = try await Self.send("GET", base + "/api/property-imports/\(importID)", token: token)
            #expect(readStatus == 200)
            let record = try #require(read["import"] as? [String: Any])
            #expect(record["status"] as? String == "completed")
            #expect(record["totalRows"] as? Int == 1_200)
            #expect(record["inserted"] as? Int == 1_198)
            #expect(record["rejected"] as? Int == 2)
            let rowErrors = try #require(record["rowErrors"] as? [[String: Any]])
            #expect(Set(rowErrors.compactMap { $0["field"] as? String }) == ["property_type", "price"])

            let (listStatus, list) = try await Self.send("GET", base + "/api/properties?city=lyon&minPrice=151000&limit=200", token: token)
            #expect(listStatus == 200)
            let properties = try #require(list["properties"] as? [[String: Any]])
            #expect(properties.count == 200)
            #expect(properties.allSatisfy { ($0["price"] as? Double ?? 0) >= 151_000 && $0["surface"] as? Double == 54.5 })
        }
    }

    static func send(
        _ method: String, _ url: String, token: String, body: String? = nil, contentType: String = "application/json"
    ) async throws -> (Int, [String: Any]) {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = try await response.body.collect(upTo: 16 << 20)
        let object = (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView))) as? [String: Any] ?? [:]
        return (Int(response.status.code), object)
    }
}

import Domain
import Foundation
import Hummingbird
import OpenAPIRuntime
import Queue
import Store

/// The API's operations: the generated `APIProtocol` (from `openapi.yaml`) implemented over the
/// platform's stores and queues, one extension per concern (`APIHandler+Interventions.swift`, …).
///
/// Handlers receive input the document's rules already passed (``ContractMiddleware``); the
/// caller comes from ``APIRequestContext/current``; failures are thrown as `HTTPError` (or the
/// stores' and queues' own errors) and ``ErrorEnvelopeMiddleware`` answers them.
struct APIHandler: APIProtocol {
    let dependencies: APIDependencies
    let contract: OpenAPIContract
    let queues: [String: Queue]
    let streams: JobEventHub
    /// `/openapi.json`'s answer, built once.
    let documentObject: OpenAPIObjectContainer
    /// The public `/ready` answer, reused for a second: anyone may ask, and each asking costs a
    /// round trip to every dependency.
    let readiness: ReadinessCache

    init(dependencies: APIDependencies, contract: OpenAPIContract, streams: JobEventHub) {
        self.dependencies = dependencies
        self.contract = contract
        self.queues = Dictionary(uniqueKeysWithValues: dependencies.queues.map { ($0.name, $0) })
        self.streams = streams
        self.readiness = ReadinessCache(probe: ReadinessProbe(checks: dependencies.readiness))
        let document = OpenAPIValueContainer(json: contract.document).value as? [String: (any Sendable)?] ?? [:]
        self.documentObject = (try? OpenAPIObjectContainer(unvalidatedValue: document)) ?? .init()
    }

    var database: Database { dependencies.database }

    /// The queue named in a path or query (the document's enum lists only the API's queues).
    func queue(_ name: Components.Schemas.QueueName) throws -> Queue {
        guard let queue = queues[name.rawValue] else { throw HTTPError(.notFound, message: "no queue named '\(name.rawValue)'") }
        return queue
    }

    var context: APIRequestContext { get throws { try APIRequestContext.requireCurrent() } }

    /// The caller's tenant, requiring at least `role` in it (403 otherwise).
    func tenant(role: Identity.Role = .viewer) throws -> TenantID {
        try context.requireTenant(role: role)
    }

    /// A resource id from a path (the document says `format: uuid`, so the check already passed).
    static func uuid(_ text: String) throws -> UUID {
        guard let id = UUID(text: text) else { throw invalid("id", "must be a UUID") }
        return id
    }

    /// A time Redis keeps in milliseconds since 1970 (BullMQ's fields, scores).
    static func date(_ milliseconds: Int) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1_000) }

    /// `limit` and `offset` with the document's defaults.
    static func page(limit: Int?, offset: Int?) -> (limit: Int, offset: Int) {
        (limit ?? 50, offset ?? 0)
    }
}

/// A 400 naming the field that failed validation.
func invalid(_ field: String, _ message: String) -> HTTPError {
    HTTPError(.badRequest, message: "\(field): \(message)")
}

/// A stored value outside the document's enum: a data error, not the caller's.
func stored<Value: RawRepresentable>(_ raw: Value.RawValue, as type: Value.Type, _ what: String) throws -> Value {
    guard let value = Value(rawValue: raw) else {
        throw HTTPError(.internalServerError, message: "a stored \(what) has an unknown value")
    }
    return value
}

import Foundation
import OpenAPIRuntime

/// `/health`, `/ready`, `/openapi.json` and `/openapi.yaml`: public, without authentication.
extension APIHandler {
    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: .ok))))
    }

    /// Up or down per dependency, nothing more (the details are on the operations listener).
    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        let report = await readiness.report()
        var checks: [String: Components.Schemas.Readiness.ChecksPayload.AdditionalPropertiesPayload] = [:]
        for (name, status) in report.checks { checks[name] = .init(status: status.status == "up" ? .up : .down) }
        let body = Components.Schemas.Readiness(
            status: report.status == "ready" ? .ready : .unavailable, checks: .init(additionalProperties: checks))
        return report.status == "ready" ? .ok(.init(body: .json(body))) : .serviceUnavailable(.init(body: .json(body)))
    }

    func getOpenAPIJSON(_ input: Operations.GetOpenAPIJSON.Input) async throws -> Operations.GetOpenAPIJSON.Output {
        .ok(.init(body: .json(documentObject)))
    }

    func getOpenAPIYAML(_ input: Operations.GetOpenAPIYAML.Input) async throws -> Operations.GetOpenAPIYAML.Output {
        .ok(.init(body: .yaml(HTTPBody(contract.yaml))))
    }
}

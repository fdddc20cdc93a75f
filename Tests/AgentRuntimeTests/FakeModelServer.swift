import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization
import TestSupport

/// A local OpenAI-compatible `/v1/chat/completions` that answers scripted (status, JSON) pairs
/// and records what it received.
final class FakeModelServer: Sendable {
    private let state = Mutex<(answers: [(Int, String)], received: [(headers: [String: String], body: Data)])>(([], []))
    private let port = Mutex(0)
    private let task = Mutex<Task<Void, any Error>?>(nil)

    var baseURL: String { "http://127.0.0.1:\(port.withLock { $0 })/v1" }
    var received: [(headers: [String: String], body: [String: Any])] {
        state.withLock { $0.received }.map { entry in
            (entry.headers, (try? JSONSerialization.jsonObject(with: entry.body)) as? [String: Any] ?? [:])
        }
    }

    static func start(_ answers: [(Int, String)]) async throws -> FakeModelServer {
        let server = FakeModelServer()
        server.state.withLock { $0.answers = answers }
        let router = Router()
        router.post("/v1/chat/completions") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let object = Data(body.readableBytesView)
            let (status, text) = server.state.withLock { state -> (Int, String) in
                state.received.append((headers, object))
                return state.answers.isEmpty ? (500, #"{"error":{"message":"no scripted answer"}}"#) : state.answers.removeFirst()
            }
            return Response(
                status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let (port, task) = await LocalHTTPServer.start(router, label: "test.model")
        server.task.withLock { $0 = task }
        server.port.withLock { $0 = port }
        return server
    }

    func stop() { task.withLock { $0?.cancel() } }
}

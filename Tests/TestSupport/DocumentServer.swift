import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A local HTTP server answering `GET /document` with a body the test can change, counting the
/// requests (a JWKS endpoint, say).
public final class DocumentServer: Sendable {
    private let state = Mutex<(body: String, status: Int, requests: Int)>(("", 200, 0))
    private let port = Mutex(0)
    private let task = Mutex<Task<Void, any Error>?>(nil)

    public var url: String { "http://127.0.0.1:\(port.withLock { $0 })/document" }
    public var requests: Int { state.withLock { $0.requests } }

    public func serve(_ body: String, status: Int = 200) {
        state.withLock {
            $0.body = body; $0.status = status
        }
    }

    public static func start(_ body: String) async throws -> DocumentServer {
        let server = DocumentServer()
        server.serve(body)
        let router = Router()
        router.get("/document") { _, _ -> Response in
            let (body, status) = server.state.withLock { state -> (String, Int) in
                state.requests += 1
                return (state.body, state.status)
            }
            return Response(
                status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let (port, task) = await LocalHTTPServer.start(router, label: "test.document")
        server.task.withLock { $0 = task }
        server.port.withLock { $0 = port }
        return server
    }

    public func stop() { task.withLock { $0?.cancel() } }
}

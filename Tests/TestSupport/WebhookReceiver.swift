import Foundation
public import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A local HTTP endpoint that records webhook deliveries and answers with scripted statuses.
public final class WebhookReceiver: Sendable {
    public struct Delivery: Sendable {
        public let headers: [String: String]
        public let body: [UInt8]
        /// When the request arrived.
        public let receivedAt: ContinuousClock.Instant
    }

    private let state = Mutex<(deliveries: [Delivery], statuses: [Int])>(([], []))
    private let port = Mutex<Int?>(nil)
    private let task = Mutex<Task<Void, any Error>?>(nil)

    public var url: String { "http://127.0.0.1:\(port.withLock { $0 ?? 0 })/hook" }
    public var deliveries: [Delivery] { state.withLock { $0.deliveries } }

    /// Starts on a free port; each request takes the next status (200 once they run out) and is
    /// answered after `delay`; a 429 carries `Retry-After: retryAfter` when it is set.
    public static func start(statuses: [Int] = [], delay: Duration = .zero, retryAfter: String? = nil) async throws -> WebhookReceiver {
        let receiver = WebhookReceiver()
        receiver.state.withLock { $0.statuses = statuses }
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            if delay > .zero { try await Task.sleep(for: delay) }
            let status = receiver.state.withLock { state -> Int in
                state.deliveries.append(Delivery(headers: headers, body: Array(body.readableBytesView), receivedAt: .now))
                return state.statuses.isEmpty ? 200 : state.statuses.removeFirst()
            }
            var response = Response(status: .init(code: status), body: .init(byteBuffer: ByteBuffer(string: "status \(status)")))
            if status == 429, let retryAfter { response.headers[.retryAfter] = retryAfter }
            return response
        }
        let (port, task) = await LocalHTTPServer.start(router, label: "test.webhooks")
        receiver.task.withLock { $0 = task }
        receiver.port.withLock { $0 = port }
        return receiver
    }

    public func stop() {
        task.withLock { $0?.cancel() }
    }
}

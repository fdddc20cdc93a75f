public import Hummingbird
public import Prometheus
import Synchronization

/// Counts requests by method, route template and status, and times them, in a Prometheus
/// registry served at `/metrics`. Routes are labelled by template (`/api/jobs/{queue}/{id}`), never
/// by concrete path, so the number of series stays bounded.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let registry: PrometheusCollectorRegistry
    let series = SeriesCache()

    static var buckets: [Duration] {
        [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
    }

    static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "obotcall", subsystem: "http", metricName: "requests", unitName: "total",
            helpText: "HTTP requests answered, by method, route template and status.")
    }

    static var duration: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "obotcall", subsystem: "http", metricName: "request_duration", unitName: "seconds",
            helpText: "Time to answer an HTTP request, by method and route template.")
    }

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let status: Int
        do {
            let response = try await next(request, context)
            status = response.status.code
            record(request, context: context, status: status, elapsed: ContinuousClock.now - start)
            return response
        } catch let error as any HTTPResponseError {
            record(request, context: context, status: error.status.code, elapsed: ContinuousClock.now - start)
            throw error
        } catch {
            record(request, context: context, status: 500, elapsed: ContinuousClock.now - start)
            throw error
        }
    }

    func record(_ request: Request, context: Context, status: Int, elapsed: Duration) {
        let route = MethodNotAllowedMiddleware<Context>.unrouted(context.endpointPath) ? "unmatched" : context.endpointPath ?? "unmatched"
        let key = SeriesKey(method: request.method.rawValue, route: route, status: status)
        let (requests, duration) = series.series(for: key) {
            (
                registry.makeCounter(
                    descriptor: Self.requests,
                    labels: [("method", key.method), ("route", key.route), ("status", String(key.status))]),
                registry.makeDurationHistogram(
                    descriptor: Self.duration, labels: [("method", key.method), ("route", key.route)], buckets: Self.buckets)
            )
        }
        requests.increment()
        duration.recordNanoseconds(elapsed.nanoseconds)
    }

    struct SeriesKey: Hashable, Sendable {
        let method: String
        let route: String
        let status: Int
    }

    /// The registry's metric objects by label set, so a request costs a dictionary lookup instead of
    /// the registry building and looking up label strings. Bounded: methods are whatever clients
    /// send, so past `capacity` label sets the registry is asked directly.
    final class SeriesCache: Sendable {
        let capacity = 1_024
        private let entries = Mutex<[SeriesKey: (Counter, DurationHistogram)]>([:])

        func series(for key: SeriesKey, make: () -> (Counter, DurationHistogram)) -> (Counter, DurationHistogram) {
            if let known = entries.withLock({ $0[key] }) { return known }
            let made = make()
            entries.withLock { entries in
                if entries.count < capacity { entries[key] = made }
            }
            return made
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

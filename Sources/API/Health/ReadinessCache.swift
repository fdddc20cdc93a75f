import Synchronization

/// A readiness report reused for `maximumAge`: the public `/ready` may be asked by anyone, as
/// often as they like, and each fresh report is a round trip to every dependency.
final class ReadinessCache: Sendable {
    let probe: ReadinessProbe
    let maximumAge: Duration
    private let last = Mutex<(at: ContinuousClock.Instant, report: ReadinessResponse)?>(nil)

    init(probe: ReadinessProbe, maximumAge: Duration = .seconds(1)) {
        self.probe = probe
        self.maximumAge = maximumAge
    }

    func report() async -> ReadinessResponse {
        if let cached = last.withLock({ $0 }), ContinuousClock.now - cached.at < maximumAge { return cached.report }
        let report = await probe.run()
        last.withLock { $0 = (.now, report) }
        return report
    }
}

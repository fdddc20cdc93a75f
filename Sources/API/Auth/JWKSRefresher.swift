import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
public import ServiceLifecycle
import Synchronization

/// Keeps a ``TokenVerifier``'s JWKS in step with an identity provider's JWKS URL (Supabase
/// publishes `https://<project>.supabase.co/auth/v1/.well-known/jwks.json`): fetched at start,
/// every `interval`, and when a token names a key id the verifier does not know (at most once per
/// `minimumGap`, so junk key ids cannot make the API hammer the provider). Every fetch has a
/// deadline and a size limit; a failed fetch keeps the keys the verifier has.
public final class JWKSRefresher: Service, Sendable {
    let url: String
    let verifier: TokenVerifier
    let interval: Duration
    let minimumGap: Duration
    let timeout: Duration
    let logger: Logger
    private let lastFetch = Mutex<ContinuousClock.Instant?>(nil)

    public init(
        url: String, verifier: TokenVerifier, interval: Duration = .seconds(600), minimumGap: Duration = .seconds(30),
        timeout: Duration = .seconds(5), logger: Logger
    ) {
        self.url = url
        self.verifier = verifier
        self.interval = interval
        self.minimumGap = minimumGap
        self.timeout = timeout
        self.logger = logger
        verifier.onUnknownKey { [weak self] in await self?.refreshForUnknownKey() ?? false }
    }

    /// Fetches the JWKS and hands it to the verifier.
    public func refresh() async throws {
        lastFetch.withLock { $0 = .now }
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await HTTPClient.shared.execute(request, timeout: TimeAmount(timeout))
        guard response.status == .ok else { throw JWKSFetchError("the JWKS URL answered \(response.status.code)") }
        let body = try await response.body.collect(upTo: 1 << 20)
        do {
            try await verifier.setJWKS(String(buffer: body))
        } catch {
            throw JWKSFetchError(error.description)
        }
    }

    /// `true` when a fetch was allowed now and succeeded. The gap is claimed atomically, so a
    /// burst of tokens with unknown key ids makes one fetch, not one each.
    func refreshForUnknownKey() async -> Bool {
        let allowed = lastFetch.withLock { last -> Bool in
            if let last, ContinuousClock.now - last < minimumGap { return false }
            last = .now
            return true
        }
        guard allowed else { return false }
        do {
            try await refresh()
            return true
        } catch {
            logger.warning("refreshing the JWKS failed", metadata: ["url": "\(url)", "error": "\(error)"])
            return false
        }
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await self.refresh()
                    try await Task.sleep(for: self.interval)
                } catch is CancellationError {
                    return
                } catch {
                    self.logger.warning("refreshing the JWKS failed; retrying", metadata: ["url": "\(self.url)", "error": "\(error)"])
                    try await Task.sleep(for: self.minimumGap)
                }
            }
        }
    }
}

struct JWKSFetchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

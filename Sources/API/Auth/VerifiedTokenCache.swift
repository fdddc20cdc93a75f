import Foundation
import Synchronization

/// Identities of tokens whose signature and claims were already checked, until the token expires.
///
/// A frontend sends the same access token with every request for its whole lifetime (an hour for
/// Supabase), and verifying it (base64, HMAC or ECDSA, claim decoding, jwt-kit's key-collection
/// actor) costs more than the rest of a simple request's CPU. A hit answers what verification would
/// answer: the same token string, checked against its own expiry on every lookup. Entries are held
/// at most ``maximumAge`` so a cache never outlives a key change for long; the cache is bounded in
/// entries and tokens longer than ``maximumTokenLength`` are verified every time instead.
final class VerifiedTokenCache: Sendable {
    struct Entry {
        let identity: Identity
        let expiresAt: Date
    }

    let capacity: Int
    let maximumAge: TimeInterval
    let maximumTokenLength: Int
    private let entries = Mutex<(tokens: [String: Entry], generation: Int)>(([:], 0))

    init(capacity: Int = 4_096, maximumAge: TimeInterval = 300, maximumTokenLength: Int = 8_192) {
        self.capacity = max(1, capacity)
        self.maximumAge = maximumAge
        self.maximumTokenLength = maximumTokenLength
    }

    /// The identity of `token` when it was verified and has not expired since.
    func identity(for token: String, now: Date = Date()) -> Identity? {
        entries.withLock { state in
            guard let entry = state.tokens[token] else { return nil }
            guard now < entry.expiresAt else {
                state.tokens[token] = nil
                return nil
            }
            return entry.identity
        }
    }

    /// Changes when the cache is emptied (the keys changed): a verification that started
    /// before does not store its answer (``insert(_:for:tokenExpiresAt:now:generation:)``).
    var generation: Int { entries.withLock { $0.generation } }

    /// Remembers a verified token until `tokenExpiresAt` (or ``maximumAge`` from now, if sooner).
    func insert(_ identity: Identity, for token: String, tokenExpiresAt: Date, now: Date = Date(), generation: Int? = nil) {
        let expiresAt = min(tokenExpiresAt, now.addingTimeInterval(maximumAge))
        guard now < expiresAt, token.utf8.count <= maximumTokenLength else { return }
        entries.withLock { state in
            if let generation, generation != state.generation { return }
            if state.tokens.count >= capacity {
                state.tokens = state.tokens.filter { now < $0.value.expiresAt }
                // Still full of live tokens: drop an arbitrary eighth, so the next inserts are
                // cheap again and most callers keep their entry.
                if state.tokens.count >= capacity {
                    for key in Array(state.tokens.keys.prefix(max(1, capacity / 8))) { state.tokens[key] = nil }
                }
            }
            state.tokens[token] = Entry(identity: identity, expiresAt: expiresAt)
        }
    }

    func removeAll() {
        entries.withLock { state in
            state.tokens.removeAll()
            state.generation += 1
        }
    }

    var count: Int { entries.withLock { $0.tokens.count } }
}

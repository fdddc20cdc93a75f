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
    private let entries = Mutex<[String: Entry]>([:])

    init(capacity: Int = 4_096, maximumAge: TimeInterval = 300, maximumTokenLength: Int = 8_192) {
        self.capacity = max(1, capacity)
        self.maximumAge = maximumAge
        self.maximumTokenLength = maximumTokenLength
    }

    /// The identity of `token` when it was verified and has not expired since.
    func identity(for token: String, now: Date = Date()) -> Identity? {
        entries.withLock { entries in
            guard let entry = entries[token] else { return nil }
            guard now < entry.expiresAt else {
                entries[token] = nil
                return nil
            }
            return entry.identity
        }
    }

    /// Remembers a verified token until `tokenExpiresAt` (or ``maximumAge`` from now, if sooner).
    func insert(_ identity: Identity, for token: String, tokenExpiresAt: Date, now: Date = Date()) {
        let expiresAt = min(tokenExpiresAt, now.addingTimeInterval(maximumAge))
        guard now < expiresAt, token.utf8.count <= maximumTokenLength else { return }
        entries.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { now < $0.value.expiresAt }
                // Still full of live tokens: drop an arbitrary eighth, so the next inserts are
                // cheap again and most callers keep their entry.
                if entries.count >= capacity {
                    for key in Array(entries.keys.prefix(max(1, capacity / 8))) { entries[key] = nil }
                }
            }
            entries[token] = Entry(identity: identity, expiresAt: expiresAt)
        }
    }

    func removeAll() {
        entries.withLock { $0.removeAll() }
    }

    var count: Int { entries.withLock { $0.count } }
}

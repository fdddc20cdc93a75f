import PostgresNIO
import _ConnectionPoolModule

/// A database failure in terms a caller can act on.
///
/// PostgreSQL reports failures as SQLSTATE codes inside driver errors (often wrapped in a
/// transaction error); ``StoreError/init(_:)`` maps them once so that routes and jobs can answer
/// "conflict", "not found" or "retry later" without knowing SQLSTATE.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable, Equatable {
        /// A unique constraint refused the write (SQLSTATE 23505).
        case uniqueViolation
        /// A referenced row does not exist, or a referenced row is still in use (23503).
        case foreignKeyViolation
        /// A check or not-null constraint refused the value (23514, 23502).
        case constraintViolation
        /// The row was not found (for this tenant).
        case notFound
        /// Row-level security or a privilege refused the statement (42501).
        case permissionDenied
        /// A value could not be interpreted (22xxx: bad UUID text, numeric overflow, …).
        case invalidInput
        /// The transaction lost a race and may be retried as a whole (40001, 40P01).
        case conflictRetry
        /// PostgreSQL cannot be reached or is shutting down; retry later.
        case unavailable
        /// Anything else: a bug or a schema mismatch.
        case other
    }

    public let kind: Kind
    public let message: String
    public let sqlState: String?
    public let constraint: String?

    public init(kind: Kind, message: String, sqlState: String? = nil, constraint: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.constraint = constraint
    }

    /// Whether running the same work again later may succeed.
    public var isRetryable: Bool { kind == .unavailable || kind == .conflictRetry }

    /// Whether the connection itself is gone (closed by either side, or the server shutting
    /// down), as opposed to a statement refused on a live one: nothing more can be sent on it.
    public var isConnectionLoss: Bool {
        guard kind == .unavailable else { return false }
        guard let sqlState else { return true }
        return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03", "25P03"].contains(sqlState)
    }

    public var description: String {
        var text = "database \(kind.rawValue): \(message)"
        if let constraint { text += " (constraint \(constraint))" }
        if let sqlState { text += " [SQLSTATE \(sqlState)]" }
        return text
    }

    /// Maps any error thrown by PostgresNIO (or already a `StoreError`) to a `StoreError`.
    public init(_ error: any Error) {
        switch error {
        case let error as StoreError:
            self = error
        case let error as PostgresTransactionError:
            if let inner = error.closureError ?? error.beginError ?? error.commitError ?? error.rollbackError {
                self = StoreError(inner)
            } else {
                self = StoreError(kind: .other, message: "transaction failed")
            }
        case let error as PSQLError:
            self = StoreError(psql: error)
        case let error as ConnectionPoolError:
            // The pool gave up creating connections (circuit breaker) or is shutting down.
            self = StoreError(kind: .unavailable, message: "PostgreSQL is unavailable: no connection could be made (\(error))")
        default:
            self = StoreError(kind: .other, message: String(describing: error))
        }
    }

    private init(psql error: PSQLError) {
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            let message = error.serverInfo?[.message] ?? "server error"
            let detail = error.serverInfo?[.detail]
            let constraint = error.serverInfo?[.constraintName]
            let text = detail.map { "\(message): \($0)" } ?? message
            self.init(kind: Self.kind(forSQLState: state), message: text, sqlState: state, constraint: constraint)
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown,
            .sslUnsupported, .failedToAddSSLHandler:
            var message = "PostgreSQL is unavailable (\(error.code))"
            if let underlying = error.underlying { message += ": \(underlying)" }
            self.init(kind: .unavailable, message: message)
        case .queryCancelled:
            self.init(kind: .unavailable, message: "the query was cancelled")
        default:
            self.init(kind: .other, message: "PostgreSQL client error (\(error.code))")
        }
    }

    static func kind(forSQLState state: String) -> Kind {
        switch state {
        case "23505": return .uniqueViolation
        case "23503": return .foreignKeyViolation
        case "23514", "23502", "23P01": return .constraintViolation
        case "42501": return .permissionDenied
        case "40001", "40P01": return .conflictRetry
        // 57014: statement_timeout; 55P03: lock_timeout; 25P03: idle in transaction too long.
        case "57P01", "57P02", "57P03", "53300", "57014", "55P03", "25P03": return .unavailable
        default:
            if state.hasPrefix("08") { return .unavailable }
            if state.hasPrefix("22") { return .invalidInput }
            return .other
        }
    }
}

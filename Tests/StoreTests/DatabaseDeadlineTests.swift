import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing
import TestSupport
@testable import Store

/// Every database call ends: by its answer, or by the call deadline — also when the server is
/// stopped under it (`pg_ctl -m fast` terminates sessions, `-m immediate` kills them) and the
/// driver would otherwise wait forever for a statement written to a closed connection.
@Suite struct DatabaseDeadlineTests {
    static let logger: Logger = {
        var logger = Logger(label: "test.store.deadline")
        logger.logLevel = .critical
        return logger
    }()

    @Test func theDeadlineAnswersWhenTheCallIgnoresCancellation() async throws {
        let gate = Gate()
        let timedOut = Mutex(0)
        let error = await #expect(throws: StoreError.self) {
            try await DatabaseDeadline.run(.milliseconds(200), onTimeout: { timedOut.withLock { $0 += 1 } }) {
                await gate.wait()
                return 1
            }
        }
        gate.open()
        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("did not answer within") == true)
        #expect(timedOut.withLock { $0 } == 1)
    }

    @Test func aCallThatAnswersInTimeIsNotTouched() async throws {
        let timedOut = Mutex(0)
        let value = try await DatabaseDeadline.run(.seconds(30), onTimeout: { timedOut.withLock { $0 += 1 } }) { 42 }
        #expect(value == 42)
        #expect(timedOut.withLock { $0 } == 0)
    }

    /// A statement PostgreSQL cancels (statement_timeout) leaves a live connection inside a
    /// failed transaction: it is rolled back before the connection serves the next call.
    @Test func aTimedOutStatementLeavesTheConnectionUsable() async throws {
        try await TestDatabase.with { database in
            var url = database.runtimeURL
            url.maximumConnections = 1
            url.statementTimeout = 200
            let single = Database(url: url, logger: Self.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await single.run() }
                defer { group.cancelAll() }
                let error = await #expect(throws: StoreError.self) {
                    try await single.withTransaction { connection in
                        _ = try await connection.query("SELECT pg_sleep(5)", logger: Self.logger).collect()
                    }
                }
                #expect(error?.sqlState == "57014")
                #expect(error?.isConnectionLoss == false)
                for _ in 0..<3 {
                    let one = try await single.withTransaction { connection in
                        try await connection.query("SELECT 1", logger: Self.logger).collect().first?.decode(Int.self)
                    }
                    #expect(one == 1)
                }
            }
        }
    }

    @Test(.timeLimit(.minutes(3)), arguments: ["fast", "immediate"])
    func aTransactionCutOffByAServerStopEndsAndTheNextOneWorks(mode: String) async throws {
        let server = try await PostgresServerProcess.start()
        defer { server.stop() }
        var url = try DatabaseURL(server.ownerURL)
        // Long enough that all the calls are in their statement together before the stop even
        // when the machine is busy (a call abandoned at its deadline would never be counted),
        // short enough that a call the stop does not end still ends.
        url.callTimeout = .seconds(30)
        let database = Database(url: url, logger: Self.logger)
        let watcher = Database(url: try DatabaseURL(server.ownerURL), logger: Self.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await database.run() }
            group.addTask { try await watcher.run() }
            defer { group.cancelAll() }
            // Several transactions in flight, each trying another statement after the first fails,
            // as handlers do (that later statement is the one the driver never answers).
            let calls = 4
            let cut = Task {
                try await withThrowingTaskGroup(of: StoreError.Kind?.self) { inner in
                    for _ in 0..<calls {
                        inner.addTask {
                            do {
                                try await database.withTransaction { connection in
                                    _ = try? await connection.query("SELECT pg_sleep(120)", logger: Self.logger)
                                    try await connection.query("SELECT 1", logger: Self.logger)
                                }
                                return nil
                            } catch {
                                return StoreError(error).kind
                            }
                        }
                    }
                    var kinds: [StoreError.Kind?] = []
                    for try await kind in inner { kinds.append(kind) }
                    return kinds
                }
            }
            #expect(
                try await eventually(timeout: .seconds(60), every: .milliseconds(50)) {
                    let sleeping = try await watcher.withTransaction { connection in
                        try await connection.query(
                            "SELECT count(*)::int FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(120)'", logger: Self.logger
                        )
                        .collect().first?.decode(Int.self) ?? 0
                    }
                    return sleeping == calls
                })
            try server.stopServer(mode: mode)
            // Every call ends, and as unavailable (PostgresNIO's own transactions never end here).
            let kinds = try #require(try await cut.value(within: .seconds(60)), "calls still waiting a minute after the stop")
            #expect(kinds == Array(repeating: .unavailable, count: calls))

            try server.startServer()
            #expect(
                try await eventually(timeout: .seconds(60), every: .milliseconds(50)) {
                    (try? await database.withTransaction { connection in
                        try await connection.query("SELECT 1", logger: Self.logger).collect().count
                    }) == 1
                })
        }
    }
}

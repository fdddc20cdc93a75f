/// How a pending request is completed: one reply, or all the replies of a pipelined batch.
enum RedisPromise {
    case single(CheckedContinuation<RESPToken, any Error>)
    case batch(CheckedContinuation<[RESPToken], any Error>)

    func succeed(_ reply: RedisConnectionStateMachine<RedisPromise>.Reply) {
        switch (self, reply) {
        case (.single(let continuation), .single(let token)):
            continuation.resume(returning: token)
        case (.batch(let continuation), .batch(let tokens)):
            continuation.resume(returning: tokens)
        case (.batch(let continuation), .single(let token)):
            continuation.resume(returning: [token])
        case (.single(let continuation), .batch(let tokens)):
            if let first = tokens.first {
                continuation.resume(returning: first)
            } else {
                continuation.resume(throwing: RedisClientError(.unexpectedReply, "empty reply batch"))
            }
        }
    }

    func fail(_ error: any Error) {
        switch self {
        case .single(let continuation): continuation.resume(throwing: error)
        case .batch(let continuation): continuation.resume(throwing: error)
        }
    }
}

/// Thrown by a handler that added children to its running job (`Queue.addChildren(_:to:)`): the
/// processor gives the job up until they finish (`Queue.waitForChildren(_:token:)`), without
/// counting an attempt; the job then runs again from the start and reads their results
/// (`Queue.childrenValues(of:)`).
public struct WaitForChildren: Error, CustomStringConvertible, Sendable {
    public init() {}
    public var description: String { "waiting for the job's children" }
}

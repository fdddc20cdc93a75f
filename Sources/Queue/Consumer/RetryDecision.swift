/// Whether a failed attempt runs again: the one rule `Queue.fail` applies, and that workers ask
/// before they record the attempt (as `retrying` or `failed`), so the two never disagree.
extension Job {
    /// `true` when this attempt's failure leaves the job to run again: the error is not
    /// unrecoverable, the job was not fetched with a deferred failure (which always ends it), and
    /// it has attempts left after this one.
    public func willRetry(afterFailureUnrecoverable unrecoverable: Bool) -> Bool {
        guard !unrecoverable, deferredFailure == nil else { return false }
        let attempt = attemptsMade.addingReportingOverflow(1)
        return !attempt.overflow && attempt.partialValue < options.attempts
    }
}

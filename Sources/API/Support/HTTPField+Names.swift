public import HTTPTypes

extension HTTPField.Name {
    // Valid header tokens, so the initialiser cannot fail.
    public static let requestID = HTTPField.Name("X-Request-Id")!
    public static let rateLimitLimit = HTTPField.Name("RateLimit-Limit")!
    public static let rateLimitRemaining = HTTPField.Name("RateLimit-Remaining")!
    public static let rateLimitReset = HTTPField.Name("RateLimit-Reset")!
}

extension HTTPField.Name {
    public static let lastEventID = HTTPField.Name("Last-Event-ID")!
    /// Tells nginx-style proxies not to buffer an event stream.
    public static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!
}

extension HTTPField.Name {
    /// The dashboard's pages send no referrer (their addresses may carry a job id).
    public static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}

public import HTTPTypes

extension HTTPField.Name {
    // Valid header tokens, so the initialiser cannot fail.
    public static let requestID = HTTPField.Name("X-Request-Id")!
    public static let rateLimitLimit = HTTPField.Name("RateLimit-Limit")!
    public static let rateLimitRemaining = HTTPField.Name("RateLimit-Remaining")!
    public static let rateLimitReset = HTTPField.Name("RateLimit-Reset")!
}

import Crypto
public import Foundation

/// Signs webhook bodies so receivers can check they come from the platform and are fresh.
///
/// Header `X-Obotcall-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with
/// the tenant's webhook secret. A receiver recomputes the HMAC over the timestamp it was given
/// and the raw body, compares in constant time, and rejects old timestamps (replays).
public enum WebhookSignature {
    public static let header = "X-Obotcall-Signature"

    public static func sign(body: [UInt8], timestamp: Int, secret: String) -> String {
        "t=\(timestamp),v1=\(hex(mac(body: body, timestamp: timestamp, secret: secret)))"
    }

    /// Checks a signature header against a body; `tolerance` bounds the age of the timestamp.
    public static func verify(
        header value: String, body: [UInt8], secret: String, now: Int = Int(Date().timeIntervalSince1970), tolerance: Int = 300
    ) -> Bool {
        var timestamp: Int?
        var signature: String?
        for part in value.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int(pair[1]) }
            if pair[0] == "v1" { signature = pair[1] }
        }
        guard let timestamp, let signature, abs(now - timestamp) <= tolerance, let given = bytes(hex: signature) else { return false }
        let expected = Array(mac(body: body, timestamp: timestamp, secret: secret))
        guard given.count == expected.count else { return false }
        return zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func mac(body: [UInt8], timestamp: Int, secret: String) -> HashedAuthenticationCode<SHA256> {
        var message = Array("\(timestamp).".utf8)
        message.append(contentsOf: body)
        return HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))
    }

    private static func hex(_ code: HashedAuthenticationCode<SHA256>) -> String {
        code.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let characters = Array(hex.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(characters.count / 2)
        var index = 0
        while index < characters.count {
            guard let byte = UInt8(String(decoding: characters[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            result.append(byte)
            index += 2
        }
        return result
    }
}

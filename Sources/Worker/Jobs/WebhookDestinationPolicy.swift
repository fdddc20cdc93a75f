import Foundation
import NIOCore
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where tenant-controlled webhook URLs may point. A tenant's endpoint must not reach the
/// platform's own network: loopback (127.0.0.0/8, ::1), link-local (169.254.0.0/16 — the cloud
/// metadata service —, fe80::/10), private (10/8, 172.16/12, 192.168/16), shared (100.64/10),
/// unique-local (fc00::/7), unspecified and multicast addresses are refused, after DNS
/// resolution: every address a name resolves to must be public, and the delivery then connects
/// to the address that was checked (the name still sets Host and TLS), so a second resolution
/// cannot swap in another (DNS rebinding). Operators may allow private destinations
/// (`WEBHOOK_ALLOW_PRIVATE=1`) or name hosts that may be private (`WEBHOOK_ALLOWED_HOSTS`).
public struct WebhookDestinationPolicy: Sendable {
    public var allowPrivate: Bool
    /// Host names (lowercase) allowed whatever their addresses.
    public var allowedHosts: Set<String>
    /// How long a DNS resolution may take.
    public var resolveTimeout: Duration

    public init(allowPrivate: Bool = false, allowedHosts: Set<String> = [], resolveTimeout: Duration = .seconds(5)) {
        self.allowPrivate = allowPrivate
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
        self.resolveTimeout = resolveTimeout
    }

    /// The checked destination: the URL's host and the address to connect to.
    public struct Destination: Sendable, Equatable {
        public let host: String
        public let address: String
    }

    /// Why a destination is refused; the message never repeats the URL (it may be a secret).
    public struct Refusal: Error, CustomStringConvertible, Equatable {
        public let description: String
        /// `false` for the policy's refusals; `true` when the name could not be resolved now
        /// (another attempt may succeed).
        public let isTemporary: Bool

        init(description: String, isTemporary: Bool = false) {
            self.description = description
            self.isTemporary = isTemporary
        }

        static func unresolved(_ description: String) -> Refusal { Refusal(description: description, isTemporary: true) }
    }

    public func check(_ url: String) async throws(Refusal) -> Destination {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
            var host = components.host, !host.isEmpty
        else { throw Refusal(description: "the endpoint URL is not an http(s) URL") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let addresses = try await resolve(host)
        guard let first = addresses.first else { throw .unresolved("the endpoint's host does not resolve") }
        if !allowPrivate && !allowedHosts.contains(host.lowercased()) {
            for address in addresses where !Self.isPublic(address) {
                throw Refusal(
                    description: "the endpoint resolves to a non-public address (\(Self.text(address))); private destinations are not allowed")
            }
        }
        return Destination(host: host, address: Self.text(first))
    }

    /// An address as bytes: 4 for IPv4, 16 for IPv6.
    typealias Address = [UInt8]

    /// The host's addresses, or a refusal after `resolveTimeout`: the lookup (a blocking
    /// `getaddrinfo` on NIO's thread pool, which cannot be interrupted) may finish later on its
    /// own, but the delivery does not wait for it.
    func resolve(_ host: String) async throws(Refusal) -> [Address] {
        let timeout = resolveTimeout
        let once = ResumeOnce()
        let outcome: Result<[Address], Refusal> = await withCheckedContinuation { continuation in
            once.set(continuation)
            NIOThreadPool.singleton.submit { state in
                guard state == .active else {
                    once.resume(.failure(.unresolved("the resolver is shutting down")))
                    return
                }
                once.resume(Self.getaddrinfo(host))
            }
            Task {
                try? await Task.sleep(for: timeout)
                once.resume(.failure(.unresolved("resolving the endpoint's host took longer than \(timeout)")))
            }
        }
        return try outcome.get()
    }

    /// Resumes a continuation with the first result given, ignores the rest.
    final class ResumeOnce: Sendable {
        private let state = Mutex<(continuation: CheckedContinuation<Result<[Address], Refusal>, Never>?, result: Result<[Address], Refusal>?)>(
            (nil, nil))

        func set(_ continuation: CheckedContinuation<Result<[Address], Refusal>, Never>) {
            let early = state.withLock { state -> Result<[Address], Refusal>? in
                if let result = state.result { return result }
                state.continuation = continuation
                return nil
            }
            if let early { continuation.resume(returning: early) }
        }

        func resume(_ result: Result<[Address], Refusal>) {
            let waiting = state.withLock { state -> CheckedContinuation<Result<[Address], Refusal>, Never>? in
                guard state.result == nil else { return nil }
                state.result = result
                defer { state.continuation = nil }
                return state.continuation
            }
            waiting?.resume(returning: result)
        }
    }

    static func getaddrinfo(_ host: String) -> Result<[Address], Refusal> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = Glibc.getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let list else { return .failure(.unresolved("the endpoint's host does not resolve")) }
        defer { freeaddrinfo(list) }
        var addresses: [Address] = []
        var node: UnsafeMutablePointer<addrinfo>? = list
        while let current = node {
            if let address = current.pointee.ai_addr {
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        var raw = pointer.pointee.sin_addr
                        addresses.append(withUnsafeBytes(of: &raw) { Array($0) })
                    }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        var raw = pointer.pointee.sin6_addr
                        addresses.append(withUnsafeBytes(of: &raw) { Array($0) })
                    }
                default:
                    break
                }
            }
            node = current.pointee.ai_next
        }
        return .success(addresses)
    }

    /// Whether an address may be reached from the platform's network on a tenant's behalf.
    static func isPublic(_ address: Address) -> Bool {
        if address.count == 16 {
            // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible forms are judged as IPv4.
            if address[0..<10].allSatisfy({ $0 == 0 }) && address[10] == 0xff && address[11] == 0xff {
                return isPublic(Array(address[12..<16]))
            }
            if address[0..<12].allSatisfy({ $0 == 0 }) { return false }  // ::, ::1, ::a.b.c.d
            // Forms that carry an IPv4 address inside (IPv4-translated ::ffff:0:a.b.c.d, 6to4
            // 2002::/16, Teredo 2001::/32) could lead anywhere: refused.
            if address[0..<8].allSatisfy({ $0 == 0 }) && address[8] == 0xff && address[9] == 0xff { return false }
            if address[0] == 0x20 && address[1] == 0x02 { return false }
            if address[0] == 0x20 && address[1] == 0x01 && address[2] == 0 && address[3] == 0 { return false }
            if address[0] & 0xfe == 0xfc { return false }  // fc00::/7 unique local
            if address[0] == 0xfe && address[1] & 0xc0 == 0x80 { return false }  // fe80::/10 link-local
            if address[0] == 0xfe && address[1] & 0xc0 == 0xc0 { return false }  // fec0::/10 site-local (deprecated)
            if address[0] == 0xff { return false }  // multicast
            if address[0] == 0x20 && address[1] == 0x01 && address[2] == 0x0d && address[3] == 0xb8 { return false }  // documentation
            if address[0] == 0x00 && address[1] == 0x64 && address[2] == 0xff && address[3] == 0x9b { return false }  // NAT64
            return true
        }
        guard address.count == 4 else { return false }
        let (a, b) = (address[0], address[1])
        switch a {
        case 0, 10, 127: return false
        case 100 where b & 0xc0 == 64: return false  // 100.64.0.0/10 shared
        case 169 where b == 254: return false  // link-local, metadata services
        case 172 where b & 0xf0 == 16: return false
        case 192 where b == 168: return false
        case 192 where b == 0 && address[2] == 0: return false  // 192.0.0.0/24 protocol assignments
        case 198 where b & 0xfe == 18: return false  // benchmarking
        case 224...255: return false  // multicast, reserved, broadcast
        default: return true
        }
    }

    static func text(_ address: Address) -> String {
        if address.count == 4 { return address.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for index in stride(from: 0, to: 16, by: 2) { groups.append(String(UInt16(address[index]) << 8 | UInt16(address[index + 1]), radix: 16)) }
        return groups.joined(separator: ":")
    }
}

public import Domain
public import Foundation

/// Who is calling, from a verified token.
public struct Identity: Sendable, Equatable {
    public enum Role: String, Sendable, Codable, Comparable {
        case viewer, member, admin, owner

        private var rank: Int {
            switch self {
            case .viewer: return 0
            case .member: return 1
            case .admin: return 2
            case .owner: return 3
            }
        }

        public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
    }

    public let userID: UUID
    /// The tenant the token acts for; `nil` only for platform admins without one.
    public let tenant: TenantID?
    public let role: Role
    /// `role = service_role`: may act on every tenant.
    public let isPlatformAdmin: Bool

    public init(userID: UUID, tenant: TenantID?, role: Role, isPlatformAdmin: Bool) {
        self.userID = userID
        self.tenant = tenant
        self.role = role
        self.isPlatformAdmin = isPlatformAdmin
    }
}

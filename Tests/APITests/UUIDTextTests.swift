import Domain
import Foundation
import Testing

/// The UUID helpers of the request paths agree with Foundation's, and refuse what it refuses.
struct UUIDTextTests {
    @Test func printsAndParsesAsFoundationDoes() {
        for _ in 0..<1_000 {
            let id = UUID()
            #expect(id.lowercasedText == id.uuidString.lowercased())
            #expect(UUID(text: id.uuidString) == id)
            #expect(UUID(text: id.uuidString.lowercased()) == id)
        }
    }

    @Test func randomIDsAreVersion4AndDistinct() {
        let ids = (0..<10_000).map { _ in UUID.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            let text = id.lowercasedText
            #expect(Array(text)[14] == "4")
            #expect("89ab".contains(Array(text)[19]))
            #expect(UUID(uuidString: text) == id)
        }
    }

    @Test(arguments: [
        "", "0", "00000000-0000-0000-0000-00000000000", "00000000-0000-0000-0000-0000000000000",
        "00000000_0000-0000-0000-000000000000", "0000000-00000-0000-0000-000000000000", "g0000000-0000-0000-0000-000000000000",
        "{00000000-0000-0000-0000-000000000000}", "00000000000000000000000000000000", "00000000-0000-0000-0000-00000000000é",
    ])
    func refusesWhatIsNotACanonicalUUID(text: String) {
        #expect(UUID(text: text) == nil)
        #expect(UUID(uuidString: text) == nil)
    }
}

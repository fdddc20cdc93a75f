import Testing
@testable import Worker

/// The per-tenant metrics' label stays bounded whatever tenants the jobs carry.
struct TenantMetricLabelsTests {
    @Test func theFirstTenantsKeepTheirLabelLaterOnesAreOther() {
        let labels = TenantMetricLabels(capacity: 2)
        #expect(labels.label(for: "a") == "a")
        #expect(labels.label(for: "b") == "b")
        #expect(labels.label(for: "c") == TenantMetricLabels.other)
        // Admitted tenants keep their label.
        #expect(labels.label(for: "a") == "a")
        #expect(labels.label(for: nil) == TenantMetricLabels.none)
        #expect(labels.label(for: "") == TenantMetricLabels.none)
    }

    @Test func hostileTenantValuesAreOther() {
        let labels = TenantMetricLabels(capacity: 10)
        #expect(labels.label(for: String(repeating: "x", count: 65)) == TenantMetricLabels.other)
        // A tenant named like a bucket cannot pose as it.
        #expect(labels.label(for: "none") == TenantMetricLabels.other)
        #expect(TenantMetricLabels(capacity: 0).label(for: "a") == TenantMetricLabels.other)
        #expect(TenantMetricLabels(capacity: -5).capacity == 0)
    }

    @Test func aHundredThousandTenantsMakeAtMostCapacityPlusTwoLabels() {
        let labels = TenantMetricLabels(capacity: 100)
        var seen = Set<String>()
        for index in 0..<100_000 { seen.insert(labels.label(for: index % 1_000 == 0 ? nil : "tenant-\(index)")) }
        #expect(seen.count == 102)
    }
}

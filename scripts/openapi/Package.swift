// swift-tools-version:6.1
// Builds Apple's swift-openapi-generator command for scripts/generate-openapi. Kept apart from the
// main package so that neither CI nor a normal build compiles the generator (OpenAPIKit, Yams,
// swift-argument-parser): the generated code is committed, and a test checks it was generated
// from the committed document.
import PackageDescription

let package = Package(
    name: "openapi-generator-tool",
    dependencies: [
        .package(url: "https://github.com/apple/swift-openapi-generator.git", exact: "1.14.3")
    ]
)

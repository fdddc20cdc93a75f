import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import API

/// `/admin/`: the dashboard's static files, served without a token under a Content-Security-Policy
/// that allows only the dashboard's own files, revalidated by entity tag, and nothing outside the
/// flat directory.
struct DashboardAssetsTests {
    @Test func thePageIsServedWithoutATokenUnderAStrictPolicy() async throws {
        try await APIHarness.with { harness in
            try await harness.app().test(.router) { client in
                let page = try await Self.get(client, "/admin/")
                #expect(page.status == .ok)
                #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
                let policy = try #require(page.headers[.contentSecurityPolicy])
                #expect(policy.contains("default-src 'none'"))
                #expect(policy.contains("script-src 'self'"))
                #expect(!policy.contains("unsafe-inline"))
                #expect(!policy.contains("unsafe-eval"))
                #expect(page.headers[.xContentTypeOptions] == "nosniff")
                #expect(page.headers[.eTag]?.isEmpty == false)
                #expect(page.headers[.cacheControl] == "no-cache")
                #expect(String(buffer: page.body).lowercased().hasPrefix("<!doctype html>"))

                // A token, even a bad one, changes nothing: the page signs in by itself.
                let withToken = try await Self.get(client, "/admin/", headers: [.authorization: "Bearer not-a-token"])
                #expect(withToken.status == .ok)
            }
        }
    }

    @Test func anUnchangedFileAnswers304() async throws {
        try await APIHarness.with { harness in
            try await harness.app().test(.router) { client in
                var tags: Set<String> = []
                for path in ["/admin/", "/admin/app.js"] {
                    let first = try await Self.get(client, path)
                    let tag = try #require(first.headers[.eTag])
                    tags.insert(tag)
                    let again = try await Self.get(client, path, headers: [.ifNoneMatch: tag])
                    #expect(again.status == .notModified, "\(path)")
                    #expect(again.body.readableBytes == 0)
                    #expect(again.headers[.eTag] == tag)
                    let listed = try await Self.get(client, path, headers: [.ifNoneMatch: "\"0000000000000000\", \(tag)"])
                    #expect(listed.status == .notModified, "\(path)")
                    let stale = try await Self.get(client, path, headers: [.ifNoneMatch: "\"0000000000000000\""])
                    #expect(stale.status == .ok, "\(path)")
                    #expect(stale.body.readableBytes > 0)
                    // The header is bounded as the document says.
                    let long = try await Self.get(client, path, headers: [.ifNoneMatch: String(repeating: "0", count: 1_001)])
                    #expect(long.status == .badRequest, "\(path)")
                }
                #expect(tags.count == 2)
            }
        }
    }

    @Test func eachFileHasItsType() async throws {
        try await APIHarness.with { harness in
            try await harness.app().test(.router) { client in
                let files = [("/admin/app.js", "text/javascript"), ("/admin/style.css", "text/css"), ("/admin/favicon.svg", "image/svg+xml")]
                for (path, type) in files {
                    let file = try await Self.get(client, path)
                    #expect(file.status == .ok, "\(path)")
                    #expect(file.headers[.contentType]?.hasPrefix(type) == true, "\(path): \(file.headers[.contentType] ?? "")")
                    #expect(file.headers[.contentSecurityPolicy] != nil)
                    #expect(file.headers[.xContentTypeOptions] == "nosniff")
                    #expect(file.body.readableBytes > 0)
                }
            }
        }
    }

    @Test func unknownOrUnsafeNamesAreNotFound() async throws {
        try await APIHarness.with { harness in
            try await harness.app().test(.router) { client in
                let missing = try await Self.get(client, "/admin/nope.js")
                #expect(missing.status == .notFound)
                #expect(missing.headers[.contentType]?.hasPrefix("application/json") == true)
                let body = (try? JSONSerialization.jsonObject(with: Data(missing.body.readableBytesView))) as? [String: Any]
                #expect(body?["error"] is String)
                for path in ["/admin/..%2Fopenapi.yaml", "/admin/.hidden", "/admin/%2e%2e", "/admin/..", "/admin/sub/app.js", "/admin/app.js%2F"] {
                    let answer = try await Self.get(client, path)
                    #expect(answer.status == .notFound, "\(path)")
                }
            }
        }
    }

    @Test func theBareAddressRedirectsAndOnlyGETIsAllowed() async throws {
        try await APIHarness.with { harness in
            try await harness.app().test(.router) { client in
                let bare = try await Self.get(client, "/admin")
                #expect(bare.status == .permanentRedirect)
                #expect(bare.headers[.location] == "/admin/")
                let others: [(method: HTTPRequest.Method, path: String)] = [
                    (.post, "/admin/"), (.delete, "/admin/app.js"), (.put, "/admin/style.css"),
                ]
                for (method, path) in others {
                    let answer = try await client.executeRequest(uri: path, method: method, headers: [:], body: nil)
                    #expect(answer.status == .methodNotAllowed, "\(method) \(path)")
                    #expect(answer.headers[.allow]?.contains("GET") == true)
                }
            }
        }
    }

    /// What the policy forbids must not be in the page: an inline script, an event-handler
    /// attribute or a style attribute would be blocked in the browser.
    @Test func thePageHasNoInlineScriptHandlerOrStyle() async throws {
        try await APIHarness.with { harness in
            try await harness.app().test(.router) { client in
                let page = try await Self.get(client, "/admin/")
                let html = String(buffer: page.body)
                let scriptTag = try Regex(#"(?is)<script\b([^>]*)>(.*?)</script\s*>"#)
                let handler = try Regex(#"(?i)\son[a-z]+\s*="#)
                let styleAttribute = try Regex(#"(?i)\sstyle\s*="#)
                var scripts = 0
                for match in html.matches(of: scriptTag) {
                    scripts += 1
                    let attributes = match.output[1].substring.map(String.init) ?? ""
                    let content = match.output[2].substring.map(String.init) ?? ""
                    #expect(attributes.contains("src="), "an inline script: \(attributes)")
                    #expect(content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "a script with a body: \(content)")
                }
                #expect(scripts >= 1)
                #expect(html.firstMatch(of: handler) == nil, "an inline event handler")
                #expect(html.firstMatch(of: styleAttribute) == nil, "a style attribute")
                #expect(!html.lowercased().contains("<style"))
                #expect(!html.lowercased().contains("javascript:"))
            }
        }
    }

    /// The directory is flat: every file the page links and every module the scripts import
    /// (`./x.js`, followed from app.js) is served.
    @Test func everyFileThePageAndItsModulesReferToIsServed() async throws {
        try await APIHarness.with { harness in
            try await harness.app().test(.router) { client in
                let page = try await Self.get(client, "/admin/")
                let html = String(buffer: page.body)
                let reference = try Regex(#"(?:src|href)="([A-Za-z0-9._-]+)""#)
                let module = try Regex(#"(?:from\s*|import\s*\(?\s*)['"]\./([A-Za-z0-9._-]+)['"]"#)
                var pending = html.matches(of: reference).compactMap { $0.output[1].substring.map(String.init) }
                #expect(pending.contains("app.js"))
                var seen: Set<String> = []
                while let name = pending.popLast() {
                    guard seen.insert(name).inserted else { continue }
                    let file = try await Self.get(client, "/admin/\(name)")
                    #expect(file.status == .ok, "\(name) is referred to but not served")
                    guard file.status == .ok, name.hasSuffix(".js") else { continue }
                    let text = String(buffer: file.body)
                    pending += text.matches(of: module).compactMap { $0.output[1].substring.map(String.init) }
                }
                #expect(seen.isSuperset(of: ["app.js", "api.js", "dom.js", "router.js", "style.css", "favicon.svg"]), "\(seen.sorted())")
            }
        }
    }

    @Test func onlyPlainFileNamesAreServable() {
        for name in ["index.html", "app.js", "page-job.js", "a_b.css"] { #expect(DashboardAssets.isServable(name), "\(name)") }
        for name in ["", ".", "..", ".hidden", "../x.js", "a/b.js", "a%2Fb", "a b.js", "a\u{0}.js", String(repeating: "a", count: 101)] {
            #expect(!DashboardAssets.isServable(name), "\(name)")
        }
    }
}

extension DashboardAssetsTests {
    /// A GET without a token.
    static func get(_ client: some TestClientProtocol, _ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await client.executeRequest(uri: uri, method: .get, headers: headers, body: nil)
    }
}

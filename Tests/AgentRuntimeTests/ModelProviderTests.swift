import AsyncHTTPClient
import Foundation
import Testing
@testable import AgentRuntime

struct ModelProviderTests {
    static let toolCallAnswer = """
        {"id":"c1","choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,
        "tool_calls":[{"id":"call_1","type":"function","function":{"name":"search_properties","arguments":"{\\"city\\":\\"Lyon\\"}"}}]}}],
        "usage":{"prompt_tokens":42,"completion_tokens":7}}
        """
    static let textAnswer = """
        {"id":"c2","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"3 flats found."}}],
        "usage":{"prompt_tokens":60,"completion_tokens":5}}
        """
    static let tool = ToolDefinition(
        name: "search_properties", description: "Search the tenant's properties",
        parametersSchema: #"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#)

    static func withProvider(_ answers: [(Int, String)], _ body: (OpenAICompatibleProvider, FakeModelServer) async throws -> Void) async throws {
        let server = try await FakeModelServer.start(answers)
        defer { server.stop() }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await body(OpenAICompatibleProvider(baseURL: server.baseURL, apiKey: "sk-test", http: http), server)
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    @Test func toolCallsTravelBothWays() async throws {
        try await Self.withProvider([(200, Self.toolCallAnswer), (200, Self.textAnswer)]) { provider, server in
            var messages: [ChatMessage] = [.system("You help with real estate."), .user("Flats in Lyon?")]
            let first = try await provider.complete(ModelRequest(model: "gpt-test", messages: messages, tools: [Self.tool], maxTokens: 200))
            #expect(first.message.toolCalls == [ToolCall(id: "call_1", name: "search_properties", arguments: #"{"city":"Lyon"}"#)])
            #expect(first.usage == .init(promptTokens: 42, completionTokens: 7))
            #expect(first.finishReason == "tool_calls")

            messages.append(first.message)
            messages.append(.tool(callID: "call_1", content: #"[{"ref":"A1"},{"ref":"A2"},{"ref":"A3"}]"#))
            let second = try await provider.complete(ModelRequest(model: "gpt-test", messages: messages, tools: [Self.tool]))
            #expect(second.message.content == "3 flats found.")

            let requests = server.received
            #expect(requests.count == 2)
            #expect(requests[0].headers["authorization"] == "Bearer sk-test")
            #expect(requests[0].body["model"] as? String == "gpt-test")
            #expect(requests[0].body["max_tokens"] as? Int == 200)
            let tools = requests[0].body["tools"] as? [[String: Any]]
            #expect((tools?.first?["function"] as? [String: Any])?["name"] as? String == "search_properties")
            let sent = requests[1].body["messages"] as? [[String: Any]] ?? []
            #expect(sent.count == 4)
            #expect(sent[2]["role"] as? String == "assistant")
            #expect((sent[2]["tool_calls"] as? [[String: Any]])?.first?["id"] as? String == "call_1")
            #expect(sent[3]["role"] as? String == "tool")
            #expect(sent[3]["tool_call_id"] as? String == "call_1")
        }
    }

    @Test func a429IsRetriedThenSucceeds() async throws {
        try await Self.withProvider([(429, #"{"error":{"message":"rate limited"}}"#), (200, Self.textAnswer)]) { provider, server in
            let retrying = RetryingModelProvider(provider, attempts: 3, initialDelay: .milliseconds(10))
            let response = try await retrying.complete(ModelRequest(model: "m", messages: [.user("hi")]))
            #expect(response.message.content == "3 flats found.")
            #expect(server.received.count == 2)
        }
    }

    @Test func aClientErrorIsFinalWithTheProvidersMessage() async throws {
        try await Self.withProvider([(400, #"{"error":{"message":"model 'x' does not exist"}}"#)]) { provider, server in
            let retrying = RetryingModelProvider(provider, attempts: 3, initialDelay: .milliseconds(10))
            let error = await #expect(throws: ModelProviderError.self) {
                _ = try await retrying.complete(ModelRequest(model: "x", messages: [.user("hi")]))
            }
            #expect(error?.isRetryable == false)
            #expect(error?.status == 400)
            #expect(error?.message == "model 'x' does not exist")
            #expect(server.received.count == 1)
        }
    }

    @Test func serverErrorsAndUnreachableProvidersAreRetryable() async throws {
        #expect(ModelProviderError.from(status: 503, message: "").isRetryable)
        #expect(ModelProviderError.from(status: 429, message: "").isRetryable)
        #expect(!ModelProviderError.from(status: 401, message: "").isRetryable)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let provider = OpenAICompatibleProvider(baseURL: "http://127.0.0.1:1/v1", apiKey: nil, http: http, timeout: .seconds(2))
        let error = await #expect(throws: ModelProviderError.self) {
            _ = try await provider.complete(ModelRequest(model: "m", messages: [.user("hi")]))
        }
        #expect(error?.isRetryable == true)
        try await http.shutdown()
    }

    @Test func scriptedProviderReplaysItsScript() async throws {
        let provider = try ScriptedModelProvider(
            json: """
                [{"toolCalls":[{"id":"t1","name":"get_intervention","arguments":"{}"}],"usage":{"promptTokens":3,"completionTokens":1}},
                 {"error":{"status":503,"message":"overloaded"}},
                 {"content":"done"}]
                """)
        let first = try await provider.complete(ModelRequest(model: "script", messages: [.user("go")]))
        #expect(first.message.toolCalls.first?.name == "get_intervention")
        #expect(first.usage.promptTokens == 3)
        // Steps follow the conversation: one answer so far, so the next step is the second.
        let conversation: [ChatMessage] = [.user("go"), first.message]
        let failure = await #expect(throws: ModelProviderError.self) {
            _ = try await provider.complete(ModelRequest(model: "script", messages: conversation))
        }
        #expect(failure?.isRetryable == true)
        let done = try await provider.complete(ModelRequest(model: "script", messages: conversation))
        #expect(done.message.content == "done")
        let exhausted = await #expect(throws: ModelProviderError.self) {
            _ = try await provider.complete(ModelRequest(model: "script", messages: conversation + [done.message]))
        }
        #expect(exhausted?.isRetryable == false)
        #expect(provider.received.count == 4)
        #expect(throws: ModelProviderError.self) { _ = try ScriptedModelProvider(json: "{not a script") }
    }
}

public import AsyncHTTPClient
import Domain
import Foundation
import NIOCore
import NIOHTTP1

/// A Chat Completions API with tool calling: OpenAI, or a compatible server (vLLM, Ollama,
/// llama.cpp's server). `baseURL` is the API root, e.g. `https://api.openai.com/v1`.
public struct OpenAICompatibleProvider: ModelProvider {
    public let baseURL: String
    let apiKey: String?
    let http: HTTPClient
    let timeout: TimeAmount

    public init(baseURL: String, apiKey: String?, http: HTTPClient, timeout: Duration = .seconds(120)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.http = http
        self.timeout = .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
    }

    public func complete(_ request: ModelRequest) async throws(ModelProviderError) -> ModelResponse {
        let body: Data
        do {
            body = try JSONSerialization.data(withJSONObject: Self.requestObject(request))
        } catch {
            throw ModelProviderError(isRetryable: false, message: "the request cannot be encoded: \(error)")
        }
        var http = HTTPClientRequest(url: baseURL + "/chat/completions")
        http.method = .POST
        http.headers.add(name: "Content-Type", value: "application/json")
        if let apiKey { http.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        http.body = .bytes(ByteBuffer(bytes: body))

        let status: Int
        let data: ByteBuffer
        let retryAfter: Duration?
        do {
            let response = try await self.http.execute(http, timeout: timeout)
            status = Int(response.status.code)
            retryAfter = RetryAfter.parse(response.headers.first(name: "Retry-After"))
            data = try await response.body.collect(upTo: 16 << 20)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw ModelProviderError(isRetryable: true, message: "no answer in time: \(error)")
        } catch {
            throw ModelProviderError(isRetryable: true, message: "request failed: \(error)")
        }
        guard (200..<300).contains(status) else {
            throw ModelProviderError.from(status: status, message: Self.errorMessage(Data(data.readableBytesView)), retryAfter: retryAfter)
        }
        do {
            return try Self.response(from: Data(data.readableBytesView))
        } catch {
            throw ModelProviderError(isRetryable: false, status: status, message: "unexpected response: \(error)")
        }
    }

    // MARK: Wire format

    static func requestObject(_ request: ModelRequest) throws -> [String: Any] {
        var object: [String: Any] = [
            "model": request.model,
            "messages": request.messages.map(messageObject),
        ]
        if !request.tools.isEmpty {
            object["tools"] = try request.tools.map { tool -> [String: Any] in
                let schema = try JSONSerialization.jsonObject(with: Data(tool.parametersSchema.utf8))
                return ["type": "function", "function": ["name": tool.name, "description": tool.description, "parameters": schema]]
            }
        }
        if let maxTokens = request.maxTokens { object["max_tokens"] = maxTokens }
        return object
    }

    static func messageObject(_ message: ChatMessage) -> [String: Any] {
        var object: [String: Any] = ["role": message.role.rawValue, "content": message.content ?? NSNull()]
        if !message.toolCalls.isEmpty {
            object["tool_calls"] = message.toolCalls.map { call in
                ["id": call.id, "type": "function", "function": ["name": call.name, "arguments": call.arguments]]
            }
        }
        if let id = message.toolCallID { object["tool_call_id"] = id }
        return object
    }

    struct WireResponse: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable {
                struct Call: Decodable {
                    struct Function: Decodable {
                        let name: String
                        let arguments: String
                    }
                    let id: String
                    let function: Function
                }
                let content: String?
                let toolCalls: [Call]?
                enum CodingKeys: String, CodingKey {
                    case content
                    case toolCalls = "tool_calls"
                }
            }
            let message: Message
            let finishReason: String?
            enum CodingKeys: String, CodingKey {
                case message
                case finishReason = "finish_reason"
            }
        }
        struct Usage: Decodable {
            let promptTokens: Int?
            let completionTokens: Int?
            enum CodingKeys: String, CodingKey {
                case promptTokens = "prompt_tokens"
                case completionTokens = "completion_tokens"
            }
        }
        let choices: [Choice]
        let usage: Usage?
    }

    static func response(from data: Data) throws -> ModelResponse {
        let wire = try JSONDecoder().decode(WireResponse.self, from: data)
        guard let choice = wire.choices.first else {
            throw ModelProviderError(isRetryable: false, message: "the response has no choices")
        }
        let calls = (choice.message.toolCalls ?? []).map { ToolCall(id: $0.id, name: $0.function.name, arguments: $0.function.arguments) }
        return ModelResponse(
            message: ChatMessage(role: .assistant, content: choice.message.content, toolCalls: calls),
            usage: .init(promptTokens: wire.usage?.promptTokens ?? 0, completionTokens: wire.usage?.completionTokens ?? 0),
            finishReason: choice.finishReason)
    }

    /// `{"error": {"message": …}}` as OpenAI sends it, else the body's first characters.
    static func errorMessage(_ data: Data) -> String {
        struct Envelope: Decodable {
            struct Detail: Decodable { let message: String? }
            let error: Detail?
        }
        if let envelope = try? JSONDecoder().decode(Envelope.self, from: data), let message = envelope.error?.message {
            return message
        }
        return String(decoding: data.prefix(500), as: UTF8.self)
    }
}

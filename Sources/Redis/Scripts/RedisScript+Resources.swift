import Foundation

extension RedisScript {
    /// Reads `<name>.lua` from a SwiftPM resource bundle (`<package>_<target>.resources`) beside the
    /// executable, or under `$OBOTCALL_RESOURCES`, prepending `prelude` (shared helper functions).
    ///
    /// `Bundle.module` is not used: its accessor traps when the bundle is missing, and a missing
    /// file should be a clear error instead.
    public static func resource(
        _ name: String, bundle: String, prelude: String? = nil
    ) throws(RedisScriptResourceError) -> RedisScript {
        let source = try resourceText(name, bundle: bundle)
        return RedisScript(name: name, source: prelude.map { $0 + "\n-- " + name + ".lua\n" + source } ?? source)
    }

    /// The text of `<name>.lua` from the bundle.
    public static func resourceText(_ name: String, bundle: String) throws(RedisScriptResourceError) -> String {
        let directories = resourceDirectories(bundle: bundle)
        for directory in directories {
            if let text = try? String(contentsOf: directory.appendingPathComponent("\(name).lua"), encoding: .utf8) {
                return text
            }
        }
        throw RedisScriptResourceError(
            "the Lua script \(name).lua was not found; install the \(bundle) directory next to the obotcall binary "
                + "(searched \(directories.map(\.path).joined(separator: ", ")))")
    }

    static func resourceDirectories(bundle: String) -> [URL] {
        var directories: [URL] = []
        if let override = ProcessInfo.processInfo.environment["OBOTCALL_RESOURCES"], !override.isEmpty {
            directories.append(URL(fileURLWithPath: override).appendingPathComponent(bundle))
        }
        directories.append(Bundle.main.bundleURL.appendingPathComponent(bundle))
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            directories.append(executable.deletingLastPathComponent().appendingPathComponent(bundle))
        }
        return directories
    }
}

/// A Lua script resource that is not installed.
public struct RedisScriptResourceError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

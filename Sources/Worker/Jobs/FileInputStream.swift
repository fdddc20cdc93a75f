import Foundation

/// An `InputStream` over a file whose `hasBytesAvailable` turns false exactly at the end.
///
/// CSV.swift reads one more byte whenever the stream says bytes are available and takes a short
/// read for an I/O error; Foundation's file stream on Linux keeps saying so at the end of the
/// file. This one knows the file's size and reads with `FileHandle`.
final class FileInputStream: InputStream {
    private let handle: FileHandle
    private let size: UInt64
    private var offset: UInt64 = 0
    private var status: Stream.Status = .notOpen
    private var failure: (any Error)?

    init(file: URL) throws {
        self.handle = try FileHandle(forReadingFrom: file)
        self.size = try handle.seekToEnd()
        try handle.seek(toOffset: 0)
        super.init(data: Data())
    }

    override func open() { status = .open }

    override func close() {
        try? handle.close()
        status = .closed
    }

    override var streamStatus: Stream.Status { status }
    override var streamError: (any Error)? { failure }
    override var hasBytesAvailable: Bool { status == .open && offset < size }

    override func read(_ buffer: UnsafeMutablePointer<UInt8>, maxLength length: Int) -> Int {
        guard status == .open || status == .atEnd else { return status == .closed ? 0 : -1 }
        do {
            guard let data = try handle.read(upToCount: length), !data.isEmpty else {
                status = .atEnd
                return 0
            }
            data.copyBytes(to: buffer, count: data.count)
            offset += UInt64(data.count)
            return data.count
        } catch {
            failure = error
            status = .error
            return -1
        }
    }

    override func getBuffer(_ buffer: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, length len: UnsafeMutablePointer<Int>) -> Bool {
        false
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Foundation
import Glibc
import Testing
import TestSupport

/// The built-in `mirror` handler on real files: exact names, links kept as links, nothing written outside.
@Suite("The mirror handler", .ownThreads(timeLimit: .seconds(60)))
struct MirrorHandlerTests {
    private func mirror(into destination: String) -> ReceiverDeclaration {
        var declaration = receiver("copy", signals: [.postSave, .postDelete])
        declaration.action = .handler(name: "mirror", options: ["to": destination])
        return declaration
    }

    /// The content of the file at `path`, read by its exact bytes.
    private func bytes(at path: RawPath) -> [UInt8]? {
        let descriptor = path.withCString { open($0, O_RDONLY) }
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var content: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while case let count = read(descriptor, &buffer, buffer.count), count > 0 { content += buffer[0..<count] }
        return content
    }

    @Test("every hostile name is mirrored under its exact bytes, with its content, and removed on delete",
          arguments: HostileNames.all.filter { !$0.contains(UInt8(ascii: "/")) })
    func exactNames(_ name: [UInt8]) async throws {
        let mirrorFolder = try TemporaryFolder()
        let harness = try DispatcherHarness([mirror(into: mirrorFolder.path)])
        let source = RawPath(harness.folder.path).appending(RawPath(bytes: name))
        let content = Array("content of a hostile name\n".utf8) + name
        _ = source.withCString { path in
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            defer { close(descriptor) }
            return write(descriptor, content, content.count)
        }
        await harness.dispatchAndWait([try harness.signal(bytes: name, create: false)])
        #expect(harness.results.map(\.status) == [.exited], "\(harness.results.map { $0.message ?? "" })")
        let copy = RawPath(mirrorFolder.path).appending(RawPath(bytes: name))
        #expect(bytes(at: copy) == content)
        #expect(try FileManager.default.contentsOfDirectory(atPath: mirrorFolder.path).count == 1, "nothing else written")

        await harness.dispatchAndWait([try harness.signal(bytes: name, .postDelete, seq: 2, create: false)])
        #expect(copy.withCString { access($0, F_OK) } != 0)
    }

    @Test("a link is mirrored as the same link, and a linked folder in the destination is never written through")
    func links() async throws {
        let mirrorFolder = try TemporaryFolder()
        let elsewhere = try TemporaryFolder()
        let harness = try DispatcherHarness([mirror(into: mirrorFolder.path)])
        try harness.folder.shell("ln -s /etc/passwd link.md && mkdir sub && echo x > sub/a.md")
        try mirrorFolder.shell("ln -s '\(elsewhere.path)' sub")
        await harness.dispatchAndWait([try harness.signal("link.md", create: false), try harness.signal("sub/a.md", seq: 2, create: false)])
        var target = [CChar](repeating: 0, count: 256)
        let length = readlink(mirrorFolder.path + "/link.md", &target, 255)
        #expect(length > 0 && String(cString: Array(target[0..<length]) + [0]) == "/etc/passwd")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty, "nothing written through the link")
        // Two instances, each in its own lane: their results come in either order.
        let ofLink = harness.results.filter { $0.instance == RawPath("link.md") }
        let ofSub = harness.results.filter { $0.instance == RawPath("sub/a.md") }
        #expect(ofLink.map(\.status) == [.exited])
        #expect(ofSub.map(\.status) == [.error])
        #expect(ofSub.first?.message?.contains("not a folder") == true, "\(ofSub.first?.message ?? "")")
    }
}

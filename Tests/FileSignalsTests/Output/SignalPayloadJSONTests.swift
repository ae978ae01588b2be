// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Foundation
import Testing
import TestSupport

@Suite("JSON lines", .ownThreads())
struct SignalPayloadJSONTests {
    private let state = InstanceState(inode: 42, size: 7, mode: 0o100644, owner: 1000, mtimeNanoseconds: 1_764_048_601_101_000_000)

    private func payload(instance: RawPath, signal: ModelSignal = .postSave, created: Bool? = true) -> SignalPayload {
        SignalPayload(
            seq: 17, time: Timestamp(nanosecondsSinceEpoch: 1_764_048_601_123_456_789), signal: signal.rawValue,
            sender: "Article", instance: instance, path: RawPath("/srv/").appending(instance), created: created,
            source: .live, state: state, previous: nil)
    }

    @Test("a post_save line has the spec's keys in order, one line, newline-terminated")
    func postSave() {
        let line = String(decoding: payload(instance: RawPath("notes/a.md")).jsonLine(), as: UTF8.self)
        #expect(line == """
            {"type":"signal","seq":17,"time":"2025-11-25T05:30:01.123456Z","signal":"post_save","sender":"Article",\
            "instance":"notes/a.md","path":"/srv/notes/a.md","created":true,"source":"live","size":7,\
            "mtime":"2025-11-25T05:30:01.101000Z","inode":42,"previous":null}

            """)
    }

    @Test("delete signals carry no created and no previous")
    func delete() throws {
        let line = payload(instance: RawPath("a.md"), signal: .postDelete, created: nil).jsonLine()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(object["created"] == nil)
        #expect(object["previous"] == nil)
        #expect(object["size"] as? Int == 7)
    }

    @Test("names with quotes, backslashes, newlines and control bytes stay valid JSON and exact", arguments: [
        "a \"quoted\" name.md", "back\\slash.md", "new\nline.md", "tab\there.md", "bell\u{07}.md", "emoji 🎉.md",
        "combining e\u{301}.md", "$(rm -rf ~).md", "`id`.md", "-leading-dash.md",
    ])
    func hostileNames(_ name: String) throws {
        let line = payload(instance: RawPath(name)).jsonLine()
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(!line.dropLast().contains(UInt8(ascii: "\n")), "one signal, one line")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(object["instance"] as? String == name)
        #expect(object["instance_b64"] == nil)
    }

    @Test("a name that is not UTF-8 keeps its exact bytes in instance_b64")
    func nonUTF8() throws {
        let bytes: [UInt8] = Array("caf".utf8) + [0xE9, 0xFF] + Array(".md".utf8)
        let line = payload(instance: RawPath(bytes: bytes)).jsonLine()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(object["instance"] as? String == "caf\u{FFFD}\u{FFFD}.md")
        let decoded = try #require(Data(base64Encoded: object["instance_b64"] as? String ?? ""))
        #expect(Array(decoded) == bytes)
    }

    @Test("a line read back (the journal keeps signals as lines) writes the same line again, its time included")
    func readBack() throws {
        let names = [RawPath("notes/a.md"), RawPath(bytes: Array("caf".utf8) + [0xE9, 0xFF] + Array(".md".utf8))]
        for name in names {
            let line = payload(instance: name).jsonLine()
            let decoded = try #require(SignalPayload(jsonLine: line))
            #expect(decoded.instance == name)
            #expect(decoded.time.description == "2025-11-25T05:30:01.123456Z")
            #expect(decoded.jsonLine() == line, "\(String(decoding: decoded.jsonLine(), as: UTF8.self))")
        }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

extension SignalPayload {
    /// Reads back a line written by ``jsonLine()`` (the journal keeps signals that way), nil when it is not one.
    /// Names come back exactly, from `instance_b64` when they are not UTF-8.
    public init?(jsonLine: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(jsonLine)) as? [String: Any],
              let seq = (object["seq"] as? NSNumber)?.int64Value,
              let signal = object["signal"] as? String, let sender = object["sender"] as? String,
              let instanceText = object["instance"] as? String, let pathText = object["path"] as? String,
              let source = (object["source"] as? String).flatMap(SignalSource.init(rawValue:)) else { return nil }
        var instance = RawPath(instanceText)
        var path = RawPath(pathText)
        if let encoded = object["instance_b64"] as? String, let bytes = Data(base64Encoded: encoded) {
            instance = RawPath(bytes: Array(bytes))
            // The path ends with the instance's relative name inside its folder: rebuild it from the root part.
            if let root = pathText.range(of: instanceText, options: .backwards).map({ String(pathText[..<$0.lowerBound]) }) {
                path = RawPath(root).appending(instance)
            }
        }
        // A line without a readable time (none written by this program) is given the time it is read.
        let time = (object["time"] as? String).flatMap(Timestamp.nanoseconds(rfc3339:)).map(Timestamp.init(nanosecondsSinceEpoch:))
        self.init(seq: seq, time: time ?? .now(), signal: signal, sender: sender, instance: instance, path: path,
                  created: object["created"] as? Bool, source: source, state: Self.state(object, "size", "mtime", "inode"))
        sha256 = (object["sha256"] as? String).flatMap(Self.digest)
        changes = (object["changes"] as? [String]).map { names in
            InstanceChanges(names.compactMap { ["content": InstanceChanges.content, "mode": .mode, "owner": .owner, "mtime": .mtime][$0] })
        }
        movedFrom = exactName(object, "moved_from")
        movedTo = exactName(object, "moved_to")
        if let previousObject = object["previous"] as? [String: Any] {
            previous = Self.state(previousObject, "size", "mtime", "inode")
            previousSHA256 = (previousObject["sha256"] as? String).flatMap(Self.digest)
        }
        arguments = object["args"] as? [String: String] ?? [:]
    }

    /// The size, mtime and inode of a line; mode and owner are not in lines and read as 0.
    private static func state(_ object: [String: Any], _ size: String, _ mtime: String, _ inode: String) -> InstanceState? {
        guard let size = (object[size] as? NSNumber)?.int64Value, let inode = (object[inode] as? NSNumber)?.uint64Value else { return nil }
        return InstanceState(inode: inode, size: size, mode: 0, owner: 0, mtimeNanoseconds: (object[mtime] as? String).flatMap(Timestamp.nanoseconds(rfc3339:)) ?? 0)
    }

    private static func digest(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}

extension Timestamp {
    /// Nanoseconds since the epoch of `2026-11-25T05:30:01.123456Z`, as ``description`` writes it.
    static func nanoseconds(rfc3339 text: String) -> Int64? {
        let characters = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int32? {
            guard range.upperBound <= characters.count else { return nil }
            return Int32(String(decoding: characters[range], as: UTF8.self))
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19) else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        var fraction: Int64 = 0
        if characters.count > 20, characters[19] == UInt8(ascii: ".") {
            let digits = characters[20...].prefix { $0 >= 48 && $0 <= 57 }
            fraction = (Int64(String(decoding: digits, as: UTF8.self)) ?? 0) * Int64(pow(10.0, Double(9 - digits.count)))
        }
        return Int64(timegm(&parts)) * 1_000_000_000 + fraction
    }
}

/// The name under `key` of a JSON line's object, exactly: from `KEY_b64` when the name was not UTF-8.
private func exactName(_ object: [String: Any], _ key: String) -> RawPath? {
    if let encoded = object[key + "_b64"] as? String, let bytes = Data(base64Encoded: encoded) { return RawPath(bytes: [UInt8](bytes)) }
    return (object[key] as? String).map(RawPath.init)
}

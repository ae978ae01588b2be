// SPDX-License-Identifier: GPL-2.0-or-later

/// Builds one JSON object as UTF-8 bytes, keys in the order they are written.
///
/// Written by hand rather than with `JSONEncoder` because the key order is part of the format (`SPEC.md`
/// section 6) and because this runs once per signal on the hot path: values are appended as bytes, with
/// no intermediate `String` for numbers, times, digests or paths.
struct JSONWriter {
    private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var isFirst = true

    init() { bytes.reserveCapacity(512) }

    mutating func key(_ name: StaticString) {
        if !isFirst { bytes.append(UInt8(ascii: ",")) }
        isFirst = false
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// A key that is not known in advance (a receiver's name), quoted and escaped as a string value is.
    mutating func string(key name: String, _ value: String) {
        if !isFirst { bytes.append(UInt8(ascii: ",")) }
        isFirst = false
        var name = name
        name.withUTF8 { appendQuoted($0) }
        bytes.append(UInt8(ascii: ":"))
        var value = value
        value.withUTF8 { appendQuoted($0) }
    }

    mutating func string(_ name: StaticString, _ value: String) {
        key(name)
        var value = value
        value.withUTF8 { appendQuoted($0) }
    }

    /// Writes a path (or instance name) as a string: its bytes as they are when they are valid UTF-8, with
    /// U+FFFD for what is not.
    mutating func path(_ name: StaticString, _ value: RawPath) {
        key(name)
        if value.bytes.allSatisfy({ $0 < 0x80 }) {
            value.bytes.withUnsafeBufferPointer { appendQuoted($0) }
        } else {
            var text = value.description
            text.withUTF8 { appendQuoted($0) }
        }
    }

    /// Writes a string value under a key known only at run time (escaped like any string).
    mutating func string(dynamicKey name: String, _ value: String) {
        if !isFirst { bytes.append(UInt8(ascii: ",")) }
        isFirst = false
        var name = name, value = value
        name.withUTF8 { appendQuoted($0) }
        bytes.append(UInt8(ascii: ":"))
        value.withUTF8 { appendQuoted($0) }
    }

    mutating func integer<Value: BinaryInteger>(_ name: StaticString, _ value: Value) {
        key(name)
        appendDecimal(value)
    }

    /// Writes a time as an RFC 3339 string (`"2026-11-25T05:30:01.123456Z"`).
    mutating func time(_ name: StaticString, _ value: Timestamp) {
        key(name)
        bytes.append(UInt8(ascii: "\""))
        value.appendRFC3339(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes a digest as a string of lower-case hexadecimal digits.
    mutating func hex(_ name: StaticString, _ digest: [UInt8]) {
        key(name)
        bytes.append(UInt8(ascii: "\""))
        ContentHash.appendHex(digest, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func bool(_ name: StaticString, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func null(_ name: StaticString) {
        key(name)
        bytes.append(contentsOf: "null".utf8)
    }

    /// Writes `name` with an array of strings.
    mutating func strings(_ name: StaticString, _ values: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            var value = value
            value.withUTF8 { appendQuoted($0) }
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes `name` with an array of whole numbers.
    mutating func integers<Value: BinaryInteger>(_ name: StaticString, _ values: [Value]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            appendDecimal(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes `name` with `json`, a JSON value already encoded (a signal's line as a CloudEvent's `data`).
    mutating func encoded(_ name: StaticString, _ json: [UInt8]) {
        key(name)
        bytes.append(contentsOf: json)
    }

    /// Writes `name` with a nested object built by `body`.
    mutating func object(_ name: StaticString, _ body: (inout JSONWriter) -> Void) {
        key(name)
        var nested = JSONWriter()
        body(&nested)
        bytes.append(contentsOf: nested.finished())
    }

    /// The object's bytes, closed with `}`.
    func finished() -> [UInt8] { bytes + [UInt8(ascii: "}")] }

    /// The object's bytes, closed with `}` and a newline: a JSON line.
    consuming func finishedLine() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    private mutating func appendDecimal<Value: BinaryInteger>(_ value: Value) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        // Digits of the magnitude, least significant first, then reversed into place.
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            let (quotient, digit) = magnitude.quotientAndRemainder(dividingBy: 10)
            bytes.append(UInt8(ascii: "0") + UInt8(digit))
            magnitude = quotient
        } while magnitude > 0
        bytes[start...].reverse()
    }

    private mutating func appendQuoted(_ value: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        // Most values need no escaping: copied whole.
        if !value.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: value)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in value {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "\n"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20, 0x7F:
                bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")]
                ContentHash.appendHex([byte], to: &bytes)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

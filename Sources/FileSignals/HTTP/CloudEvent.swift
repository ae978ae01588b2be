// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import NIOHTTP1

/// A signal as a CloudEvent 1.0: its attributes, and its JSON line as `data`. Encoded for HTTP in the three
/// modes of CloudEvents' HTTP protocol binding: structured (the event as `application/cloudevents+json`),
/// binary (attributes as `ce-` headers, the data as the body) and batch (an array of structured events).
struct CloudEvent: Sendable, Hashable {
    /// Unique per signal of one bridge, the same on every attempt and after a restart: the state database's
    /// own id (so that a new database, whose seq starts again at 1, never repeats one) and the seq.
    var id: String
    var source: String
    /// The prefix and the signal's name: `io.filesignals.post_save`.
    var type: String
    /// The instance: the name a consumer filters and groups on.
    var subject: String
    /// RFC 3339, as the signal's `time`.
    var time: String
    /// The seq, zero-padded to 19 digits: the sequence extension compares values as strings.
    var sequence: String
    /// The instance again (the partitioning extension): a Kafka or Event Hubs bridge keeps each file's
    /// events in one partition, in order.
    var partitionKey: String
    /// The signal's JSON line, without its newline.
    var data: [UInt8]

    /// The event of the journaled signal `seq` with JSON line `line`.
    init?(seq: Int64, line: [UInt8], bridgeID: String, settings: URLReceiverSettings, defaultSource: String) {
        guard let payload = SignalPayload(jsonLine: line) else { return nil }
        id = "\(bridgeID)-\(seq)"
        source = settings.source ?? defaultSource
        type = settings.typePrefix + payload.signal
        subject = payload.instance.description
        time = payload.time.description
        sequence = String(seq).leftPadded(to: 19)
        partitionKey = subject
        data = line.last == UInt8(ascii: "\n") ? Array(line.dropLast()) : line
    }

    /// The event as one JSON object (structured mode, and each element of a batch).
    var structured: [UInt8] {
        var json = JSONWriter()
        json.string("specversion", "1.0")
        json.string("id", id)
        json.string("source", source)
        json.string("type", type)
        json.string("subject", subject)
        json.string("time", time)
        json.string("datacontenttype", "application/json")
        json.string("sequence", sequence)
        json.string("partitionkey", partitionKey)
        json.encoded("data", data)
        return json.finished()
    }

    /// The `ce-` headers of binary mode, values percent-encoded as the HTTP binding asks (every byte outside
    /// printable ASCII, space, `"` and `%`).
    var binaryHeaders: [(String, String)] {
        [
            ("ce-specversion", "1.0"), ("ce-id", id), ("ce-source", source), ("ce-type", type), ("ce-subject", subject),
            ("ce-time", time), ("ce-sequence", sequence), ("ce-partitionkey", partitionKey),
        ].map { ($0.0, Self.headerValue($0.1)) }
    }

    static func headerValue(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            if byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "%") {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }

    /// One request's content type and body for `events` (one, except in batch mode), and its headers.
    static func request(for events: [CloudEvent], format: URLReceiverSettings.Format) -> (headers: HTTPHeaders, body: [UInt8]) {
        var headers = HTTPHeaders()
        switch format {
        case .structured:
            headers.add(name: "Content-Type", value: "application/cloudevents+json; charset=utf-8")
            return (headers, events[0].structured)
        case .binary:
            headers.add(name: "Content-Type", value: "application/json")
            for (name, value) in events[0].binaryHeaders { headers.add(name: name, value: value) }
            return (headers, events[0].data)
        case .batch:
            headers.add(name: "Content-Type", value: "application/cloudevents-batch+json; charset=utf-8")
            var body: [UInt8] = [UInt8(ascii: "[")]
            for (index, event) in events.enumerated() {
                if index > 0 { body.append(UInt8(ascii: ",")) }
                body += event.structured
            }
            body.append(UInt8(ascii: "]"))
            return (headers, body)
        }
    }
}

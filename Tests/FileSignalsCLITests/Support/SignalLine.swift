// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// One JSON line printed by `filesignals watch --json`, decoded for the checks the tests make.
struct SignalLine: Equatable, CustomStringConvertible {
    let object: [String: Any]
    let text: String

    init?(_ line: String) {
        guard let data = line.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        self.object = object
        self.text = line
    }

    var signal: String? { object["signal"] as? String }
    var instance: String? { object["instance"] as? String }
    var created: Bool? { object["created"] as? Bool }
    var seq: Int? { object["seq"] as? Int }
    var description: String { text }

    static func == (lhs: SignalLine, rhs: SignalLine) -> Bool { lhs.text == rhs.text }

    /// Every line of `output`, decoded; a line that is not a JSON object makes the result nil.
    static func all(in lines: [String]) -> [SignalLine]? {
        let decoded = lines.compactMap(SignalLine.init)
        return decoded.count == lines.count ? decoded : nil
    }
}

extension RunningCommand.Output {
    /// The stdout lines decoded as signals (lines that are not JSON are dropped; tests check that separately).
    var signals: [SignalLine] { stdout.compactMap(SignalLine.init) }

    /// `signal` name and instance of every line, as `"post_save a.md"`, for readable comparisons.
    var summary: [String] {
        signals.map { line in
            var text = "\(line.signal ?? "?") \(line.instance ?? "?")"
            if let created = line.created { text += " created:\(created)" }
            return text
        }
    }
}

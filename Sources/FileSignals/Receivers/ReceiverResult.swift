// SPDX-License-Identifier: GPL-2.0-or-later

/// How one receiver run for one signal ended: the log line, and with `--results` a JSON line.
public struct ReceiverResult: Sendable, Hashable {
    /// `status` of the JSON line.
    public enum Status: String, Sendable, Hashable {
        case exited, signaled, timeout, skipped, error
    }

    public var seq: Int64
    public var receiver: String
    public var signal: String
    public var instance: RawPath
    public var status: Status
    /// The exit code (`exited`) or signal number (`signaled`).
    public var code: Int32?
    public var milliseconds: Int
    /// Why it was skipped or failed, for people.
    public var message: String?
    /// How many signals the run served: more than one for a batch run (`batch = yes`), whose `seq`, `signal`
    /// and `instance` are those of the last; none for the first run at start (`--run-first`).
    public var signals = 1
    /// The seqs a batch run served, in order (empty for a run of one signal).
    public var servedSeqs: [Int64] = []
    /// Stopped by filesignals before it ended (`on_busy = restart`, or shutdown), not by itself.
    public var wasStopped = false
    /// Skipped for now by a `loop_limit` pause, to run when it ends: its delivery is not finished yet.
    var heldBackUntil: ContinuousClock.Instant?

    /// Whether the run counts as a failure: a non-zero exit, a signal, a timeout, or an error.
    public var isFailure: Bool {
        switch status {
        case .exited: return code != 0
        case .signaled, .timeout, .error: return true
        case .skipped: return false
        }
    }

    /// `{"type":"result","seq":17,"receiver":"rebuild","status":"exited","code":0,"ms":412}`, newline included.
    public func jsonLine() -> [UInt8] {
        var json = JSONWriter()
        json.string("type", "result")
        json.integer("seq", seq)
        json.string("receiver", receiver)
        json.string("signal", signal)
        json.path("instance", instance)
        json.string("status", status.rawValue)
        if let code { json.integer("code", code) } else { json.null("code") }
        json.integer("ms", milliseconds)
        if signals != 1 { json.integer("signals", signals) }
        if !servedSeqs.isEmpty { json.integers("seqs", servedSeqs) }
        if let message { json.string("message", message) }
        return json.finished() + [UInt8(ascii: "\n")]
    }

    /// `rebuild: post_save notes/a.md: exited 0 (412 ms)`.
    public var humanLine: String {
        var outcome: String
        switch status {
        case .exited: outcome = "exited \(code ?? 0)"
        case .signaled: outcome = "killed by signal \(code ?? 0)"
        case .timeout: outcome = "timed out"
        case .skipped: outcome = "skipped"
        case .error: outcome = "failed"
        }
        if let message { outcome += ": \(message)" }
        let served = signals == 0 ? "first run" : signals > 1 ? "\(signals) signals up to \(signal) \(instance)" : "\(signal) \(instance)"
        return "\(receiver): \(served): \(outcome) (\(milliseconds) ms)"
    }
}

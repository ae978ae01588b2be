// SPDX-License-Identifier: GPL-2.0-or-later
import FileSignals
import FileSignalsCLI
import Foundation

/// One line on stdout, written at once (a `print` to a pipe waits in a buffer).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

// The Django way: connect closures to the signals, then run the command line. `watch`, `scan` and `send` call
// them with the config's receivers, under the same rules (order per instance, jobs, timeouts).
Signal.postSave.connect(sender: "Note") { signal in
    say("saved \(signal.instance)" + (signal.created == true ? " (new)" : ""))
}
Signal.postDelete.connect(sender: "Note", dispatchUID: "forget-note") { signal in
    say("deleted \(signal.instance)")
}

// A custom signal of our own: `site-signals send published notes/hello.md --arg by=ann` reaches it.
let published = Signal("published")
published.connect { signal in
    say("published \(signal.instance) by \(signal.arguments["by"] ?? "nobody")")
}

// The named-handler way, for a handler an INI section configures with options: `handler = wordcount` with
// `to = FILE` writes how many words each saved instance has to FILE, one line per signal.
var handlers = HandlerRegistry.builtIn
handlers.register("wordcount", options: ["to"], required: ["to"]) { signal, context in
    guard signal.signal == "post_save", let report = context.path("to") else { return }
    let text = (try? String(contentsOfFile: signal.path.description, encoding: .utf8)) ?? ""
    let words = text.split(whereSeparator: \.isWhitespace).count
    let line = "\(signal.instance) \(words)\n"
    if let handle = FileHandle(forWritingAtPath: report) {
        handle.seekToEndOfFile()
        handle.write(Data(line.utf8))
        try handle.close()
    } else {
        try line.write(toFile: report, atomically: true, encoding: .utf8)
    }
}
await FileSignalsCLI.main(handlers: handlers)

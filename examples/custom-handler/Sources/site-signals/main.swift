// SPDX-License-Identifier: GPL-2.0-or-later
import FileSignals
import FileSignalsCLI
import Foundation

// `wordcount`: writes how many words each saved instance has to the file named by the `to` option, one
// line per signal, `INSTANCE WORDS`. A receiver section names it with `handler = wordcount`.
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

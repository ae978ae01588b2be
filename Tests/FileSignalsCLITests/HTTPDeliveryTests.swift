// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Testing
import TestSupport

/// `url =` receivers against a real HTTP server whose every request the CloudEvents SDK for Python parses:
/// the built binary, a real state database, real faults (a server down, errors, slow answers, resets, kill -9).
@Suite("url receivers: CloudEvents over HTTP", .serialized, .ownThreads(timeLimit: .seconds(180)))
struct HTTPDeliveryTests {
    /// A project with one model (`d/`) and a receiver `hook` posting to `server`, with `extra` keys.
    private func project(_ server: CloudEventsServer, signals: String = "post_save post_delete", _ extra: String = "") throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try folder.shell("mkdir d")
        let config = "[model Doc]\npath = d\n[receiver hook]\nsignal = \(signals)\nurl = \(server.url)\n\(extra)\n"
        try config.write(toFile: folder.path + "/filesignals.ini", atomically: true, encoding: .utf8)
        try folder.shell("chmod 644 filesignals.ini")
        return folder
    }

    /// The journal's post_save and post_delete lines, by seq.
    private func journaled(_ folder: TemporaryFolder) throws -> [Int: SignalLine] {
        let output = try RunningCommand(["log"], in: folder.url).waitForExit()
        let lines = output.stdout.compactMap(SignalLine.init).filter { $0.signal == "post_save" || $0.signal == "post_delete" }
        return Dictionary(uniqueKeysWithValues: lines.map { ($0.seq ?? 0, $0) })
    }

    /// `object` as JSON text with its keys sorted, to compare two decodings of the same JSON.
    private func sortedJSON(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// The seq a CloudEvent carries in `sequence`.
    private func seq(_ event: [String: Any]) -> Int { Int(event["sequence"] as? String ?? "") ?? -1 }

    /// Waits until every journaled signal of `folder` was accepted by `server`.
    private func waitForAll(_ server: CloudEventsServer, _ folder: TemporaryFolder, upTo seconds: Double = 60) throws -> Bool {
        poll(upTo: seconds) {
            let wanted = Set((try? journaled(folder))?.keys.map { $0 } ?? [])
            return !wanted.isEmpty && wanted.isSubset(of: Set(server.acceptedEvents.map(seq)))
        }
    }

    /// Every journaled signal delivered; each instance's signals first accepted in seq order; an id accepted
    /// twice is the same event both times.
    private func checkDelivery(_ server: CloudEventsServer, _ folder: TemporaryFolder) throws {
        let journal = try journaled(folder)
        let accepted = server.acceptedEvents
        #expect(Set(accepted.map(seq)) == Set(journal.keys), "delivered \(accepted.map(seq).sorted()), journal \(journal.keys.sorted())")
        var firstSeen: [String: [Int]] = [:]
        var byID: [String: Int] = [:]
        for event in accepted {
            let id = event["id"] as? String ?? ""
            if let earlier = byID[id] {
                #expect(earlier == seq(event), "id \(id) sent for two signals")
                continue
            }
            byID[id] = seq(event)
            firstSeen[event["subject"] as? String ?? "", default: []].append(seq(event))
        }
        for (instance, seqs) in firstSeen { #expect(seqs == seqs.sorted(), "\(instance) out of order: \(seqs)") }
        #expect(server.requests.allSatisfy { $0.parseError == nil }, "\(server.requests.compactMap(\.parseError))")
    }

    @Test("structured: the SDK parses every request; attributes, data, Standard Webhooks signature and bearer token are right")
    func structured() throws {
        let secrets = try TemporaryFolder()
        let key = (0..<24).map { _ in UInt8.random(in: 0...255) }
        try ("whsec_" + Data(key).base64EncodedString() + "\n").write(toFile: secrets.path + "/secret", atomically: true, encoding: .utf8)
        try "tok-123\n".write(toFile: secrets.path + "/token", atomically: true, encoding: .utf8)
        try secrets.shell("chmod 600 secret token")
        let server = try CloudEventsServer(secretFile: secrets.path + "/secret")
        let folder = try project(server, "secret_file = \(secrets.path)/secret\ntoken_file = \(secrets.path)/token\ntype_prefix = com.example.files.")
        let command = try RunningCommand.watchingConfig(from: folder.url)
        try folder.shell("echo a > d/a.md; echo b > 'd/b c.md'")
        #expect(poll(upTo: 30) { server.acceptedEvents.count >= 2 })
        try folder.shell("rm d/a.md")
        #expect(poll(upTo: 30) { server.acceptedEvents.count >= 3 })
        let printed = command.stopCleanly().signals
        try checkDelivery(server, folder)
        for request in server.requests {
            #expect(request.format == "structured" && request.signatureOK == true && request.authorization == "Bearer tok-123", "\(request.object)")
        }
        for event in server.acceptedEvents {
            let line = try #require(printed.first { $0.seq == seq(event) })
            #expect(event["specversion"] as? String == "1.0")
            #expect(event["type"] as? String == "com.example.files." + (line.signal ?? ""))
            #expect(event["subject"] as? String == line.instance && event["partitionkey"] as? String == line.instance)
            #expect(event["sequence"] as? String == String(repeating: "0", count: 19 - String(seq(event)).count) + String(seq(event)))
            #expect((event["id"] as? String)?.hasSuffix("-\(seq(event))") == true)
            #expect((event["source"] as? String)?.hasPrefix("filesignals://") == true)
            #expect(event["datacontenttype"] as? String == "application/json")
            #expect(try sortedJSON(event["data"] ?? [:]) == sortedJSON(line.object), "\(event["data"] ?? "")")
        }
        // The secret and the token are in no output.
        for output in [command.snapshot.stderr, try RunningCommand(["check"], in: folder.url).waitForExit().stdout] {
            #expect(!output.joined().contains("tok-123") && !output.joined().contains(Data(key).base64EncodedString()))
        }
    }

    @Test("binary and batch requests parse with the SDK too; a batch carries at most `batch` events", arguments: ["binary", "batch"])
    func otherFormats(_ format: String) throws {
        let server = try CloudEventsServer()
        let folder = try project(server, signals: "post_save", "format = \(format)" + (format == "batch" ? "\nbatch = 5" : ""))
        let command = try RunningCommand.watchingConfig(from: folder.url)
        try folder.shell("for i in $(seq 1 12); do echo $i > d/f$i.md; done")
        #expect(try waitForAll(server, folder))
        _ = command.stopCleanly()
        try checkDelivery(server, folder)
        #expect(server.requests.allSatisfy { $0.format == format && $0.events.count <= 5 && !$0.events.isEmpty }, "\(server.requests.map(\.object))")
        if format == "batch" { #expect(server.requests.contains { $0.events.count > 1 }) }
    }

    @Test("server down at start, then 503, 429 with Retry-After, answers slower than the timeout, resets: every signal, each file's in order")
    func faults() throws {
        let server = try CloudEventsServer(running: false)
        try server.plan([["status": 503], ["status": 503], ["status": 429, "retry_after": "1"], ["reset": true], ["status": 200, "sleep": 2], ["status": 500]])
        let folder = try project(server, "timeout = 1s\nretry_for = 5m")
        let command = try RunningCommand.watchingConfig(from: folder.url)
        for round in 1...3 {
            try folder.shell("for i in 1 2 3 4; do echo \(round) > d/f$i.md; done")
            command.wait { $0.signals.filter { $0.signal == "post_save" }.count >= 4 * round }
        }
        try folder.shell("rm d/f4.md")
        command.wait { $0.signals.contains { $0.signal == "post_delete" } }
        try server.start()
        #expect(try waitForAll(server, folder, upTo: 90))
        _ = command.stopCleanly()
        try checkDelivery(server, folder)
        // Each fault was met: the plan's answers were all used.
        let answers = server.requests.sorted { ($0.object["n"] as? Int ?? 0) < ($1.object["n"] as? Int ?? 0) }.map { "\($0.answer ?? "")" }
        #expect(Array(answers.prefix(6)) == ["503", "503", "429", "reset", "200", "500"], "\(answers)")
    }

    @Test("an answer whose body never ends is cut at the timeout and tried again; a token of two lines is a config error")
    func endlessAnswerAndBadToken() throws {
        let server = try CloudEventsServer()
        try server.plan([["status": 503, "trickle": 60]])
        let folder = try project(server, signals: "post_save", "timeout = 1s")
        let command = try RunningCommand.watchingConfig(from: folder.url)
        try folder.shell("echo a > d/a.md")
        #expect(try waitForAll(server, folder, upTo: 30))
        _ = command.stopCleanly()
        try checkDelivery(server, folder)

        try folder.shell("printf 'tok-1\\nsecond line\\n' > token && chmod 600 token && echo 'token_file = token' >> filesignals.ini")
        let check = try RunningCommand(["check"], in: folder.url).waitForExit()
        #expect(check.exitStatus == 78 && check.stderr.contains { $0.contains("token_file` token holds more than one line") }, "\(check.stderr)")
        #expect(!check.stderr.joined().contains("tok-1"))
    }

    @Test("kill -9 in the middle of a burst, and a restart: every signal delivered, repeats only with the same id")
    func killAndRestart() throws {
        let server = try CloudEventsServer()
        // Slow answers, so that the kill finds deliveries going on and waiting.
        try server.plan([], then: ["status": 200, "sleep": 0.05])
        let folder = try project(server, signals: "post_save")
        let first = try RunningCommand.watchingConfig(from: folder.url)
        try folder.shell("for i in $(seq 1 100); do echo $i > d/f$i.md; done")
        #expect(poll(upTo: 30) { server.acceptedEvents.count >= 10 })
        first.send(SIGKILL)
        _ = first.waitForExit()
        try server.plan([])
        let second = try RunningCommand.watchingConfig(from: folder.url)
        #expect(try waitForAll(server, folder))
        _ = second.stopCleanly()
        try checkDelivery(server, folder)
        #expect(try journaled(folder).count == 100)
    }

    @Test("a 400 makes the delivery dead at once: log --dead says why, and retry sends it once the server accepts it")
    func deadAndRetry() throws {
        let server = try CloudEventsServer()
        try server.plan([["status": 400, "body": "bad event: no thanks"]])
        let folder = try project(server, signals: "post_save")
        let command = try RunningCommand.watchingConfig(from: folder.url)
        try folder.shell("echo a > d/a.md")
        #expect(command.wait { $0.stderr.contains { $0.contains("not delivered") } }.stderr.contains { $0.contains("HTTP 400: bad event: no thanks") })
        let dead = try RunningCommand(["log", "--dead"], in: folder.url).waitForExit().stdout.compactMap(SignalLine.init)
        try #require(dead.count == 1, "\(dead)")
        #expect((dead[0].object["dead"] as? [String: String])?["hook"] == "HTTP 400: bad event: no thanks")
        #expect(server.acceptedEvents.isEmpty)
        let retry = try RunningCommand(["retry"], in: folder.url).waitForExit()
        #expect(retry.exitStatus == 0 && retry.stderr.contains { $0.contains("1 dead delivery made pending again; the running filesignals") }, "\(retry.stderr)")
        #expect(poll(upTo: 30) { server.acceptedEvents.count == 1 })
        #expect(server.acceptedEvents.first.map(seq) == dead[0].seq)
        _ = command.stopCleanly()
        #expect(try RunningCommand(["log", "--dead"], in: folder.url).waitForExit().stdout.isEmpty)
    }

    @Test("10,000 signals while the server is down: the bridge's memory stays flat, and all are delivered once it is up")
    func backlogOnDisk() throws {
        /// How much `command`'s resident memory grows from 2,000 signals to 10,000 made in `folder`.
        func growth(_ folder: TemporaryFolder, _ command: RunningCommand) throws -> Int {
            func resident() -> Int {
                let status = (try? String(contentsOfFile: "/proc/\(command.child.pid)/status", encoding: .utf8)) ?? ""
                let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
                return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
            }
            func saves() -> Int { command.snapshot.signals.filter { $0.signal == "post_save" }.count }
            try folder.shell("mkdir d/a && for i in $(seq 1 2000); do echo $i > d/a/f$i; done")
            #expect(poll(upTo: 60) { saves() >= 2000 })
            let before = resident()
            for part in ["b", "c", "d", "e"] {
                try folder.shell("mkdir d/\(part) && for i in $(seq 1 2000); do echo $i > d/\(part)/f$i; done")
                #expect(poll(upTo: 60) { saves() >= 2000 * (["b", "c", "d", "e"].firstIndex(of: part)! + 2) })
            }
            return resident() - before
        }
        // The same bursts without a receiver: what watching 8,000 more files costs by itself.
        let plain = try TemporaryFolder()
        try plain.shell("mkdir d && printf '[model Doc]\\npath = d\\n' > filesignals.ini && chmod 644 filesignals.ini")
        let watching = try RunningCommand.watchingConfig(from: plain.url)
        let watchingCost = try growth(plain, watching)
        _ = watching.stopCleanly()

        let server = try CloudEventsServer(running: false)
        let folder = try project(server, signals: "post_save", "format = batch\nbatch = 500")
        let command = try RunningCommand.watchingConfig(from: folder.url)
        let withBacklog = try growth(folder, command)
        // 8,000 more signals waiting for the endpoint (their deliveries tried and failing all along) cost a few
        // MB at most beyond the files themselves: they wait in the database, not in memory.
        #expect(withBacklog - watchingCost < 8_000, "VmRSS grew \(withBacklog) kB with the backlog, \(watchingCost) kB without a receiver")
        try server.start()
        #expect(try waitForAll(server, folder, upTo: 120))
        _ = command.stopCleanly()
        try checkDelivery(server, folder)
    }

    @Test("https: a certificate the system does not trust is refused (and retried), one from ca_file's authority is accepted")
    func https() throws {
        let certificates = try TemporaryFolder()
        try certificates.shell("""
            openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=filesignals-test-ca -keyout ca.key -out ca.pem 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr 2>/dev/null
            printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.pem 2>/dev/null
            """)
        let server = try CloudEventsServer(tls: (certificates.path + "/server.pem", certificates.path + "/server.key"))
        let untrusted = try project(server, signals: "post_save")
        let refused = try RunningCommand.watchingConfig(from: untrusted.url)
        try untrusted.shell("echo a > d/a.md")
        #expect(refused.wait { $0.stderr.contains { $0.contains("receiver hook:") && $0.contains("trying again") } }.stderr.contains { $0.contains("trying again") })
        _ = refused.stopCleanly()
        #expect(server.requests.isEmpty, "a request went through an untrusted certificate")

        let trusted = try project(server, signals: "post_save", "ca_file = \(certificates.path)/ca.pem")
        let command = try RunningCommand.watchingConfig(from: trusted.url)
        try trusted.shell("echo a > d/a.md")
        #expect(try waitForAll(server, trusted))
        _ = command.stopCleanly()
        try checkDelivery(server, trusted)
    }

    @Test("examples/cloudevents works as its README says: the consumer prints each change once, signed")
    func example() throws {
        let folder = try TemporaryFolder.copy(ofExample: "cloudevents")
        let port = try CloudEventsServer(running: false).port
        try folder.shell("""
            sed -i 's#127.0.0.1:8080#127.0.0.1:\(port)#; s#^; secret_file = secret#secret_file = secret#' filesignals.ini
            printf 'whsec_%s\\n' "$(head -c 24 /dev/urandom | base64)" > secret && chmod 600 secret
            """)
        let consumer = try RunningCommand(
            ["python3", folder.path + "/consumer.py", "--port", String(port), "--secret-file", folder.path + "/secret"],
            executable: URL(fileURLWithPath: "/usr/bin/env"))
        #expect(consumer.wait { $0.stderr.contains { $0.contains("listening") } }.stderr.contains { $0.contains("listening") })
        let watch = try RunningCommand.watchingConfig(from: folder.url)
        try folder.shell("echo more >> docs/welcome.md; echo new > docs/new.md")
        consumer.wait { $0.stdout.count >= 2 }
        try folder.shell("rm docs/new.md")
        let printed = consumer.wait { $0.stdout.count >= 3 }.stdout
        _ = watch.stopCleanly()
        consumer.send(SIGTERM)
        // Two files saved at once go out side by side (in either order); the delete after its file's save.
        let events = printed.map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
        #expect(Set(events.prefix(2)) == ["com.example.docs.post_save docs/welcome.md", "com.example.docs.post_save docs/new.md"], "\(printed)")
        #expect(events.dropFirst(2) == ["com.example.docs.post_delete docs/new.md"], "\(printed)")
    }
}

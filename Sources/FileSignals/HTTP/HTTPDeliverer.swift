// SPDX-License-Identifier: GPL-2.0-or-later
import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// Sends one `url` receiver's deliveries from the outbox in the state database, at least once.
///
/// - Its pending deliveries are read from the database in `seq` order, a window of ``windowSize`` at a time:
///   a backlog (the endpoint down for a day) waits on disk, and memory stays flat however long it grows.
/// - Signals of one instance go in order: a later one waits while an earlier one is tried again. Other
///   instances go on, up to `jobs` requests at once (one request at a time in `batch` format, whose requests
///   hold many instances).
/// - A 2xx answer makes the delivery done; a connection error, a timeout, 408, 429 or 5xx is tried again
///   after an exponential backoff with jitter (never sooner than `Retry-After`) for up to `retry_for`, then
///   it is dead; any other answer makes it dead at once. Dead deliveries are logged with the status and the
///   start of the answer, kept in the journal, and sent again by `filesignals retry`.
actor HTTPDeliverer {
    let receiver: ReceiverDeclaration
    let settings: URLReceiverSettings
    private let store: StateStore
    private let client: HTTPClient
    private let bridgeID: String
    private let defaultSource: String
    private let jobs: Int
    private let signature: WebhookSignature?
    private let token: String?
    private let logger: Logger

    /// Deliveries held in memory at once.
    static let windowSize = 256
    /// How often, at most, a receiver whose endpoint keeps failing says so.
    static let failureReportInterval = Duration.seconds(10)

    /// A delivery read from the outbox and not finished yet.
    private struct Waiting {
        var seq: Int64
        /// Nil when the journal's line cannot be read as a signal (it is then dead at once).
        var event: CloudEvent?
        var instance: String
        var attempts = 0
        var firstFailure: ContinuousClock.Instant?
        var notBefore: ContinuousClock.Instant?
        var isInFlight = false
    }

    private var window: [Waiting] = []
    private var loadedThrough: Int64 = 0
    private var requestsInFlight = 0
    /// The requests going on, by a number of their own.
    private var requests: [Int: Task<Void, Never>] = [:]
    private var requestsStarted = 0
    private var deliveredSinceFlush: [Int64] = []
    private var lastFlush = ContinuousClock.now
    private var lastFailureReport: ContinuousClock.Instant?
    private var isStopping = false
    private var readsFromStart = false
    private var loop: Task<Void, Never>?
    private var bell: CheckedContinuation<Void, Never>?
    private var isRung = false

    /// - Throws: ``URLReceiverError`` when a secret, token or CA file cannot be read.
    init(
        receiver: ReceiverDeclaration, settings: URLReceiverSettings, store: StateStore, root: RawPath, host: String, jobs: Int,
        logger: Logger
    ) throws {
        self.receiver = receiver
        self.settings = settings
        self.store = store
        self.jobs = max(1, jobs)
        var logger = logger
        logger[metadataKey: "receiver"] = .string(receiver.name)
        self.logger = logger
        self.bridgeID = try store.bridgeID()
        self.defaultSource = URLReceiverSettings.defaultSource(host: host, root: root)
        self.signature = try settings.secretFile.map { try URLReceiverSecrets.signature(at: $0, receiver: receiver.name) }
        self.token = try settings.tokenFile.map { try URLReceiverSecrets.token(at: $0, receiver: receiver.name) }
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(10), read: .nanoseconds(settings.requestTimeout.nanoseconds))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: self.jobs)
        if let caFile = settings.caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.file(caFile)]
            configuration.tlsConfiguration = tls
        }
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Starts sending; goes on until ``stop()``.
    func start() {
        guard loop == nil else { return }
        loop = Task { await self.run() }
    }

    /// New deliveries were recorded: look at the outbox. `fromStart` when older ones may be pending again
    /// (`filesignals retry`): the outbox is read again from its start, in `seq` order with what waits.
    func wake(fromStart: Bool = false) {
        if fromStart { readsFromStart = true }
        ring()
    }

    /// Stops sending: requests going on are cancelled, and what is not delivered stays pending in the outbox
    /// for the next start.
    func stop() async {
        isStopping = true
        for request in requests.values { request.cancel() }
        ring()
        await loop?.value
        for request in requests.values { await request.value }
        flushDelivered()
        try? await client.shutdown()
    }

    private func run() async {
        while !isStopping {
            refill()
            let nextAttempt = startWhatIsDue()
            if !deliveredSinceFlush.isEmpty && (ContinuousClock.now - lastFlush >= .milliseconds(20) || requestsInFlight == 0) { flushDelivered() }
            var wakeAt = nextAttempt
            if !deliveredSinceFlush.isEmpty { wakeAt = min(wakeAt ?? .now, lastFlush + .milliseconds(20)) }
            await waitForBell(until: wakeAt)
        }
    }

    /// Reads more of the outbox when the window has room.
    private func refill() {
        if readsFromStart {
            // What is not in flight is read again, with its backoff forgotten: a retry starts afresh. Deliveries
            // made and not yet marked are marked first, or they would be read again and sent twice.
            readsFromStart = false
            flushDelivered()
            window.removeAll { !$0.isInFlight }
            loadedThrough = 0
        }
        guard window.count <= Self.windowSize / 2 else { return }
        do {
            let entries = try store.pendingDeliveries(to: receiver.deliveryKey, after: loadedThrough, limit: Self.windowSize - window.count)
            let inFlight = Set(window.map(\.seq))
            for entry in entries where !inFlight.contains(entry.seq) {
                let event = CloudEvent(seq: entry.seq, line: entry.line, bridgeID: bridgeID, settings: settings, defaultSource: defaultSource)
                window.append(Waiting(seq: entry.seq, event: event, instance: event?.subject ?? ""))
                loadedThrough = entry.seq
            }
            if let last = entries.last { loadedThrough = max(loadedThrough, last.seq) }
            window.sort { $0.seq < $1.seq }
        } catch {
            reportFailure("cannot read its outbox: \(error)")
        }
    }

    /// Starts the requests that may go now; returns when the next delivery waiting for its backoff is due.
    private func startWhatIsDue() -> ContinuousClock.Instant? {
        let now = ContinuousClock.now
        // Lines that are no signal (a journal written by something else) can never be sent.
        let unreadable = window.filter { $0.event == nil }.map(\.seq)
        if !unreadable.isEmpty { finish(unreadable, .dead(reason: "the journal's line is not a signal")) }
        if settings.format == .batch {
            guard requestsInFlight == 0, let first = window.first else { return nil }
            if let due = first.notBefore, due > now { return due }
            let count = min(settings.batchSize, window.count)
            for index in 0..<count { window[index].isInFlight = true }
            send(Array(window[0..<count]))
            return nil
        }
        var next: ContinuousClock.Instant?
        var seen = Set<String>()
        for index in window.indices where requestsInFlight < jobs {
            // Only an instance's earliest delivery may go: the ones after it wait for it.
            guard seen.insert(window[index].instance).inserted, !window[index].isInFlight else { continue }
            if let due = window[index].notBefore, due > now {
                next = min(next ?? due, due)
                continue
            }
            window[index].isInFlight = true
            send([window[index]])
        }
        return next
    }

    private func send(_ deliveries: [Waiting]) {
        let events = deliveries.compactMap(\.event)
        let seqs = deliveries.map(\.seq)
        requestsInFlight += 1
        requestsStarted += 1
        let number = requestsStarted
        requests[number] = Task {
            let verdict = await self.post(events)
            self.finishedRequest(number, seqs, verdict)
        }
    }

    /// One request for `events`; its verdict.
    private nonisolated func post(_ events: [CloudEvent]) async -> DeliveryVerdict {
        let (headers, body) = CloudEvent.request(for: events, format: settings.format)
        var request = HTTPClientRequest(url: settings.url)
        request.method = .POST
        request.headers = headers
        request.headers.add(name: "User-Agent", value: "filesignals")
        if let token { request.headers.add(name: "Authorization", value: "Bearer " + token) }
        if let signature, let first = events.first {
            // A batch's id is its first and last event's: the same on every attempt.
            let id = events.count == 1 ? first.id : "\(first.id)..\(events[events.count - 1].sequence)"
            for (name, value) in signature.headers(id: id, timestamp: Timestamp.now().nanosecondsSinceEpoch / 1_000_000_000, body: body) {
                request.headers.add(name: name, value: value)
            }
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let timeout = settings.requestTimeout
        let prepared = request
        // `timeout` bounds the whole exchange, the answer's body included: a server that sends its headers and
        // then trickles (or never ends) its body does not hold a delivery, and its instance, for ever.
        return await withTaskGroup(of: DeliveryVerdict.self) { group in
            group.addTask { [client] in
                do {
                    let response = try await client.execute(prepared, timeout: .nanoseconds(timeout.nanoseconds))
                    let status = Int(response.status.code)
                    // A 2xx is all that is needed: its body is not waited for.
                    if (200..<300).contains(status) { return .delivered }
                    // The start of any other answer, for the log; the rest is left unread.
                    var start: [UInt8] = []
                    for try await part in response.body {
                        start += part.readableBytesView.prefix(512 - start.count)
                        if start.count >= 512 { break }
                    }
                    return DeliveryVerdict.of(status: status, retryAfter: response.headers.first(name: "Retry-After"), body: start)
                } catch {
                    return .tryAgain(reason: Self.describe(error), notBefore: nil)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .tryAgain(reason: "no whole answer within the timeout (\(DurationText.format(timeout)))", notBefore: nil)
            }
            let first = await group.next() ?? .tryAgain(reason: "cancelled", notBefore: nil)
            group.cancelAll()
            return first
        }
    }

    private func finishedRequest(_ number: Int, _ seqs: [Int64], _ verdict: DeliveryVerdict) {
        requestsInFlight -= 1
        requests[number] = nil
        if isStopping { return }
        finish(seqs, verdict)
        ring()
    }

    private func finish(_ seqs: [Int64], _ verdict: DeliveryVerdict) {
        let now = ContinuousClock.now
        let outcome: String
        switch verdict {
        case .delivered: outcome = "delivered"
        case .tryAgain: outcome = "retried"
        case .dead: outcome = "dead"
        }
        FileSignalsMetrics.count("filesignals_deliveries_total", [("receiver", receiver.name), ("outcome", outcome)], by: seqs.count)
        switch verdict {
        case .delivered:
            window.removeAll { seqs.contains($0.seq) }
            deliveredSinceFlush += seqs
        case .dead(let reason):
            markDead(seqs, reason)
        case .tryAgain(let reason, let notBefore):
            var expired: [Int64] = []
            for index in window.indices where seqs.contains(window[index].seq) {
                window[index].isInFlight = false
                window[index].attempts += 1
                let first = window[index].firstFailure ?? now
                window[index].firstFailure = first
                if now - first >= settings.retryFor {
                    expired.append(window[index].seq)
                } else {
                    // Never past retry_for, whatever Retry-After asks: tried once more at its end, then dead.
                    let wait = Backoff.delay(afterAttempt: window[index].attempts, notBefore: notBefore)
                    window[index].notBefore = min(now + wait, first + settings.retryFor)
                }
            }
            if !expired.isEmpty { markDead(expired, "still failing after retry_for (\(DurationText.format(settings.retryFor))): \(reason)") }
            if expired.count < seqs.count { reportFailure("\(reason); \(window.count) waiting, trying again") }
        }
    }

    private func markDead(_ seqs: [Int64], _ reason: String) {
        let dead = window.filter { seqs.contains($0.seq) }
        window.removeAll { seqs.contains($0.seq) }
        do {
            try store.markDead(seqs, receiver: receiver.deliveryKey, reason: reason)
        } catch {
            reportFailure("cannot record dead deliveries: \(error)")
        }
        let named = dead.first.map { "\($0.event?.type ?? "signal") \($0.instance)" } ?? ""
        let which = seqs.count == 1 ? "signal \(seqs[0]) (\(named))" : "\(seqs.count) signals (\(seqs.first!) to \(seqs.last!))"
        logger.warning("receiver \(receiver.name): \(which) not delivered: \(reason); dead (filesignals retry sends it again)")
    }

    private func flushDelivered() {
        guard !deliveredSinceFlush.isEmpty else { return }
        do {
            try store.markDone(deliveredSinceFlush.map { Delivery(seq: $0, receiver: receiver.deliveryKey, state: .done) })
            deliveredSinceFlush.removeAll()
        } catch {
            reportFailure("cannot record deliveries: \(error)")
        }
        lastFlush = .now
    }

    private func reportFailure(_ text: String) {
        let now = ContinuousClock.now
        if let last = lastFailureReport, now - last < Self.failureReportInterval { return }
        lastFailureReport = now
        logger.warning("receiver \(receiver.name): \(text)")
    }

    /// A request's failure by its kind only: an error's description may hold the URL or a header's value (a
    /// token), which must never reach a log or the journal.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connection timed out"
            case .readTimeout, .deadlineExceeded: return "no answer within the timeout"
            case .remoteConnectionClosed: return "the server closed the connection"
            default: break
            }
        }
        if error is CancellationError { return "cancelled" }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("certificate") || text.contains("handshake") || text.contains("NIOSSL") { return "TLS failed (is the certificate trusted? ca_file adds an authority)" }
        // The name of the error's case, without its values.
        let kind = text.prefix { $0 != "(" && $0 != ":" && $0 != " " }
        return "request failed (\(type(of: error)).\(kind))"
    }

    // MARK: Waiting for work

    private func ring() {
        if let bell {
            self.bell = nil
            bell.resume()
        } else {
            isRung = true
        }
    }

    /// Waits until ``ring()`` or `deadline`, whichever comes first.
    private func waitForBell(until deadline: ContinuousClock.Instant?) async {
        if isRung || isStopping {
            isRung = false
            return
        }
        let timer = deadline.map { deadline in
            Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                if !Task.isCancelled { self.ring() }
            }
        }
        await withCheckedContinuation { bell = $0 }
        isRung = false
        timer?.cancel()
    }
}

/// A `url` receiver that cannot start: a secret, token or CA file that cannot be read.
public struct URLReceiverError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

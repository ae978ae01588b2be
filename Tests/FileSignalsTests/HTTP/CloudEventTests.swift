// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Foundation
import Testing
import TestSupport

/// The pieces of a url receiver's requests that are rules, each against its spec: the binding's header
/// encoding, Standard Webhooks' signature (its published example), Retry-After, and what an answer means.
@Suite("CloudEvents over HTTP: rules", .ownThreads())
struct CloudEventTests {
    @Test("binary mode percent-encodes what the HTTP binding asks: space, quote, percent, and all but printable ASCII")
    func headerEncoding() {
        #expect(CloudEvent.headerValue("docs/my file 100%\"q\".md") == "docs/my%20file%20100%25%22q%22.md")
        #expect(CloudEvent.headerValue("é") == "%C3%A9")
        #expect(CloudEvent.headerValue("a/b-c_d.e~f") == "a/b-c_d.e~f")
    }

    @Test("the Standard Webhooks example signature")
    func signature() throws {
        let signature = try #require(WebhookSignature(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let headers = signature.headers(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(headers.first { $0.0 == "webhook-signature" }?.1 == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test("Retry-After as seconds or an HTTP date, a date far beyond 2262 included (held to a day)")
    func retryAfter() {
        let now = Timestamp(nanosecondsSinceEpoch: 1_700_000_000 * 1_000_000_000)
        #expect(DeliveryVerdict.delay(retryAfter: "120", now: now) == .seconds(120))
        #expect(DeliveryVerdict.delay(retryAfter: "Fri, 31 Dec 9999 23:59:59 GMT", now: now) == .seconds(86_400))
        #expect(DeliveryVerdict.delay(retryAfter: "Mon, 01 Jan 2263 00:00:00 GMT", now: now) == .seconds(86_400))
        #expect(DeliveryVerdict.delay(retryAfter: "Tue, 14 Nov 2023 22:13:40 GMT", now: now) == .seconds(20))
        #expect(DeliveryVerdict.delay(retryAfter: "Tue, 14 Nov 2023 22:00:00 GMT", now: now) == .zero)
        #expect(DeliveryVerdict.delay(retryAfter: "soon", now: now) == nil)
    }

    @Test("2xx delivers; 408, 429 and 5xx are tried again; anything else is dead at once", arguments: [
        (200, "delivered"), (204, "delivered"), (408, "again"), (429, "again"), (500, "again"), (503, "again"),
        (301, "dead"), (400, "dead"), (401, "dead"), (404, "dead"),
    ])
    func verdicts(_ status: Int, _ expected: String) {
        let verdict = DeliveryVerdict.of(status: status, retryAfter: nil, body: Array("no\u{1B}[31m".utf8))
        switch verdict {
        case .delivered: #expect(expected == "delivered")
        case .tryAgain: #expect(expected == "again")
        case .dead(let reason):
            #expect(expected == "dead")
            #expect(reason == "HTTP \(status): no?[31m", "control characters of an answer are never written out")
        }
    }

    @Test("the backoff grows from half a second, doubling, with full jitter, never beyond 5 minutes nor before Retry-After")
    func backoff() {
        let ceiling = { (attempt: Int) in Backoff.delay(afterAttempt: attempt, notBefore: nil, random: { $0 }) }
        #expect(ceiling(1) == .milliseconds(500) && ceiling(2) == .seconds(1) && ceiling(3) == .seconds(2) && ceiling(30) == .seconds(300))
        #expect(Backoff.delay(afterAttempt: 3, notBefore: nil, random: { _ in 0 }) == .zero)
        #expect(Backoff.delay(afterAttempt: 1, notBefore: .seconds(7), random: { $0 }) == .seconds(7))
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import FileSignals
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// `--metrics ADDR` (`metrics =` in `[filesignals]`): the metrics in the Prometheus text format at
/// `http://ADDR/metrics`, on swift-nio's HTTP/1.1 server pipeline (its parser, not one written here). The
/// library reports through swift-metrics; this bootstraps the Prometheus backend and serves its registry.
enum MetricsServer {
    /// The registry the metrics go to once ``bootstrap()`` ran.
    static let registry = PrometheusCollectorRegistry()

    /// Makes swift-metrics report to ``registry``: before anything makes a metric.
    static func bootstrap() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Seconds, from a millisecond to a minute: receiver runs, decision lags.
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        MetricsSystem.bootstrap(factory)
    }

    /// Serves the metrics of `bridge` at `address`, its database's backlog read at each scrape.
    /// - Throws: exit 69 when the address cannot be listened on.
    static func serve(at address: ListenAddress, for bridge: Bridge) async throws {
        let store = bridge.state
        let receivers = bridge.dispatcher?.registry.all.map(\.deliveryKey) ?? []
        do {
            let channel = try await start(host: address.host, port: address.port) {
                guard let backlog = try? store?.backlog() else { return }
                for receiver in Set(receivers).union(backlog.waiting.keys).union(backlog.dead.keys) {
                    FileSignalsMetrics.set("filesignals_deliveries_waiting", [("receiver", receiver)], to: Double(backlog.waiting[receiver] ?? 0))
                    FileSignalsMetrics.set("filesignals_deliveries_dead", [("receiver", receiver)], to: Double(backlog.dead[receiver] ?? 0))
                }
                FileSignalsMetrics.set("filesignals_journal_unfinished", to: Double(backlog.unfinished))
                let age = backlog.oldestUnfinished.map { Double(Timestamp.now().nanosecondsSinceEpoch - $0.nanosecondsSinceEpoch) / 1e9 } ?? 0
                FileSignalsMetrics.set("filesignals_journal_oldest_unfinished_age_seconds", to: max(0, age))
            }
            // The port chosen when 0 was asked for.
            var bound = address
            if let port = channel.localAddress?.port { bound.port = port }
            Log.info("metrics at http://\(bound.description)/metrics")
        } catch {
            Log.error("cannot serve metrics on \(address.description): \(error)")
            throw ExitCodes.unavailable
        }
    }

    /// Listens on `host:port`; `refresh` runs before each scrape (to read what lives in the state database).
    /// - Returns: the listening channel (its `localAddress` says the port when 0 was asked for).
    static func start(host: String, port: Int, refresh: @escaping @Sendable () -> Void) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(MetricsHandler(refresh: refresh))
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}

/// Answers `GET /metrics` with the registry's text, and anything else with 404.
private final class MetricsHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let refresh: @Sendable () -> Void
    private var head: HTTPRequestHead?

    init(refresh: @escaping @Sendable () -> Void) {
        self.refresh = refresh
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request): head = request
        case .body: break
        case .end:
            guard let request = head else { return }
            head = nil
            let found = request.method == .GET && (request.uri == "/metrics" || request.uri.hasPrefix("/metrics?"))
            var body: [UInt8]
            if found {
                refresh()
                body = MetricsServer.registry.emitToBuffer()
            } else {
                body = Array("not found: the metrics are at /metrics\n".utf8)
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8")
            headers.add(name: "Content-Length", value: String(body.count))
            // One answer per connection: a scraper opens one per scrape.
            headers.add(name: "Connection", value: "close")
            let channel = context.channel
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: found ? .ok : .notFound, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(channel.allocator.buffer(bytes: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            body.removeAll()
        }
    }
}

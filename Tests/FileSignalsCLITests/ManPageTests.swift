// SPDX-License-Identifier: GPL-2.0-or-later
@testable import FileSignals
import Foundation
import Testing
import TestSupport

/// The man pages render without a warning and stay complete: every option of every subcommand is in
/// filesignals(1), every key of the INI language in filesignals.ini(5).
@Suite("Man pages", .ownThreads(timeLimit: .seconds(60)))
struct ManPageTests {
    static let pages = ["filesignals.1", "filesignals.ini.5"]
    static let subcommands = ["watch", "scan", "send", "log", "retry", "check", "explain", "ls", "init", "state"]

    private func source(_ page: String) throws -> String {
        // `\-` is roff for a minus: compare what a reader sees.
        try String(contentsOf: Repository.root.appendingPathComponent("man/" + page), encoding: .utf8).replacing("\\-", with: "-")
    }

    @Test("renders with groff -man -ww without a warning", arguments: pages)
    func renders(_ page: String) throws {
        let groff = try #require(CommandLookup.find("groff"), "groff is needed to check the man pages")
        let command = try RunningCommand(
            ["-man", "-ww", "-z", Repository.root.appendingPathComponent("man/" + page).path], executable: groff)
        let output = command.waitForExit()
        #expect(output.exitStatus == 0)
        #expect(output.stderr.isEmpty, "\(output.stderr)")
    }

    @Test("mandoc -T lint accepts it", .enabled(if: CommandLookup.find("mandoc") != nil, "mandoc is not installed"), arguments: pages)
    func lint(_ page: String) throws {
        let mandoc = try #require(CommandLookup.find("mandoc"))
        let output = try RunningCommand(["-T", "lint", Repository.root.appendingPathComponent("man/" + page).path], executable: mandoc).waitForExit()
        #expect(output.exitStatus == 0)
        #expect(output.stdout.isEmpty && output.stderr.isEmpty, "\(output.stdout + output.stderr)")
    }

    @Test("every option of every subcommand is in filesignals(1)", arguments: subcommands)
    func options(_ subcommand: String) throws {
        let help = try RunningCommand([subcommand, "--help"]).waitForExit()
        #expect(help.exitStatus == 0)
        let options = help.stdout.flatMap { line -> [String] in
            let trimmed = line.drop { $0 == " " }
            guard trimmed.hasPrefix("-"), line.hasPrefix("  ") else { return [] }
            return trimmed.split(separator: " ").prefix { $0.hasPrefix("-") }.map { String($0.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }
        }
        #expect(!options.isEmpty)
        let page = try source("filesignals.1")
        for option in options {
            #expect(page.contains(option), "\(subcommand) \(option) is not in man/filesignals.1")
        }
    }

    @Test("every section kind and key of the INI language is in filesignals.ini(5)")
    func keys() throws {
        let page = try source("filesignals.ini.5")
        for (kind, keys) in ConfigLoader.keys {
            #expect(page.contains("[\(kind)"), "[\(kind)] is not in man/filesignals.ini.5")
            for key in keys { #expect(page.contains(".B " + key) || page.contains(".BR " + key), "\(kind).\(key) is not described") }
        }
        for handler in HandlerDescription.builtIn {
            for option in handler.options ?? [] { #expect(page.contains(option)) }
        }
    }
}

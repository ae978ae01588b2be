// SPDX-License-Identifier: GPL-2.0-or-later
import CInotifyTools

/// The bits of an inotify event mask (`IN_*` in `<sys/inotify.h>`), with Swift names.
///
/// The C flags import as `Int32` while `inotify_event.mask` is `UInt32`; this set bridges the two once.
public struct InotifyMask: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `IN_MODIFY`: the file was written.
    public static let modify = InotifyMask(rawValue: UInt32(IN_MODIFY))
    /// `IN_ATTRIB`: metadata changed (mode, owner, timestamps, link count).
    public static let attrib = InotifyMask(rawValue: UInt32(IN_ATTRIB))
    /// `IN_CLOSE_WRITE`: a file opened for writing was closed.
    public static let closeWrite = InotifyMask(rawValue: UInt32(IN_CLOSE_WRITE))
    /// `IN_MOVED_FROM`: an entry was renamed away from the watched folder.
    public static let movedFrom = InotifyMask(rawValue: UInt32(IN_MOVED_FROM))
    /// `IN_MOVED_TO`: an entry was renamed into the watched folder.
    public static let movedTo = InotifyMask(rawValue: UInt32(IN_MOVED_TO))
    /// `IN_CREATE`: an entry was created in the watched folder.
    public static let create = InotifyMask(rawValue: UInt32(IN_CREATE))
    /// `IN_DELETE`: an entry was removed from the watched folder.
    public static let delete = InotifyMask(rawValue: UInt32(IN_DELETE))
    /// `IN_DELETE_SELF`: the watched folder itself was removed.
    public static let deleteSelf = InotifyMask(rawValue: UInt32(IN_DELETE_SELF))
    /// `IN_MOVE_SELF`: the watched folder itself was renamed.
    public static let moveSelf = InotifyMask(rawValue: UInt32(IN_MOVE_SELF))
    /// `IN_IGNORED`: the kernel dropped the watch (its folder is gone).
    public static let ignored = InotifyMask(rawValue: UInt32(IN_IGNORED))
    /// `IN_Q_OVERFLOW`: the kernel queue overflowed and events were lost.
    public static let queueOverflow = InotifyMask(rawValue: UInt32(IN_Q_OVERFLOW))
    /// `IN_ISDIR`: the entry the event is about is a folder.
    public static let isDirectory = InotifyMask(rawValue: UInt32(IN_ISDIR))

    /// What every watch asks for: changes to entries of the folder and to the folder itself.
    /// `IN_OPEN`, `IN_ACCESS` and `IN_CLOSE_NOWRITE` are left out: reads never make a save.
    static let watched: InotifyMask = [
        .modify, .attrib, .closeWrite, .movedFrom, .movedTo, .create, .delete, .deleteSelf, .moveSelf,
    ]
    /// `IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK`: watch folders only, never through a symbolic link,
    /// and stop reporting on files once they are unlinked.
    static let watchFlags = InotifyMask(rawValue: UInt32(IN_ONLYDIR) | UInt32(IN_DONT_FOLLOW) | UInt32(IN_EXCL_UNLINK))

    private static let names: [(InotifyMask, String)] = [
        (.modify, "MODIFY"), (.attrib, "ATTRIB"), (.closeWrite, "CLOSE_WRITE"), (.movedFrom, "MOVED_FROM"),
        (.movedTo, "MOVED_TO"), (.create, "CREATE"), (.delete, "DELETE"), (.deleteSelf, "DELETE_SELF"),
        (.moveSelf, "MOVE_SELF"), (.ignored, "IGNORED"), (.queueOverflow, "Q_OVERFLOW"), (.isDirectory, "ISDIR"),
    ]

    /// The flags' names joined by `|`, as inotify's documentation writes them (`CREATE|ISDIR`).
    public var description: String {
        let parts = Self.names.filter { contains($0.0) }.map(\.1)
        return parts.isEmpty ? "0x" + String(rawValue, radix: 16) : parts.joined(separator: "|")
    }
}

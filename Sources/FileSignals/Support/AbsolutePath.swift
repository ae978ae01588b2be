// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// `path` from the current folder when it is relative; as it is when absolute.
package func absolutePath(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}

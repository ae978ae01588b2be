// SPDX-License-Identifier: GPL-2.0-or-later
import FileSignalsCLI

await FileSignalsCLI.main()

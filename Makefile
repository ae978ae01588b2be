# SPDX-License-Identifier: GPL-2.0-or-later
# make install [PREFIX=/usr/local] [DESTDIR=...]: the release binary, both man pages and the bash, zsh and
# fish completions. make uninstall removes exactly those files. BINARY=path installs an already built binary.
# make deb: dist/filesignals_VERSION_ARCH.deb, and make dist: dist/filesignals-VERSION-linux-ARCH.tar.gz, both
# of a release binary with the Swift runtime linked in (--static-swift-stdlib), so that a host needs no Swift
# toolchain: the .deb depends only on Debian packages (libinotifytools0, and what ldd shows).

PREFIX ?= /usr/local
BINARY ?= .build/release/filesignals
bindir = $(DESTDIR)$(PREFIX)/bin
mandir = $(DESTDIR)$(PREFIX)/share/man
bashdir = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
zshdir = $(DESTDIR)$(PREFIX)/share/zsh/site-functions
fishdir = $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d

VERSION := $(shell sed -n 's/.*static let version = "\(.*\)"/\1/p' Sources/FileSignalsCLI/FileSignalsCommand.swift)
ARCH := $(shell dpkg --print-architecture 2>/dev/null || uname -m)
STATIC_BINARY = .build-static/release/filesignals

.PHONY: all build install uninstall static deb dist

all: build

# swift build knows what changed; make does not, so the default binary is always brought up to date.
ifeq ($(BINARY),.build/release/filesignals)
build:
	swift build -c release --product filesignals
else
build:
	@test -x $(BINARY)
endif

install: build
	install -D -m 755 $(BINARY) $(bindir)/filesignals
	install -D -m 644 man/filesignals.1 $(mandir)/man1/filesignals.1
	install -D -m 644 man/filesignals.ini.5 $(mandir)/man5/filesignals.ini.5
	install -d $(bashdir) $(zshdir) $(fishdir)
	$(BINARY) --generate-completion-script bash > $(bashdir)/filesignals
	$(BINARY) --generate-completion-script zsh > $(zshdir)/_filesignals
	$(BINARY) --generate-completion-script fish > $(fishdir)/filesignals.fish

uninstall:
	rm -f $(bindir)/filesignals $(mandir)/man1/filesignals.1 $(mandir)/man5/filesignals.ini.5
	rm -f $(bashdir)/filesignals $(zshdir)/_filesignals $(fishdir)/filesignals.fish

# The release binary with the Swift runtime (and Foundation) linked in, in a build folder of its own.
static:
	swift build -c release --static-swift-stdlib --scratch-path .build-static --product filesignals

# What both packages hold, under dist/root: /usr/bin, the man pages, the completions, the licence and README.
dist/root: static
	rm -rf dist/root
	$(MAKE) install BINARY=$(STATIC_BINARY) PREFIX=/usr DESTDIR=$(CURDIR)/dist/root
	strip dist/root/usr/bin/filesignals
	install -D -m 644 LICENSE dist/root/usr/share/doc/filesignals/copyright
	install -D -m 644 README.md dist/root/usr/share/doc/filesignals/README.md
	install -D -m 644 examples/systemd/filesignals-system.service dist/root/usr/share/doc/filesignals/examples/filesignals-system.service
	install -D -m 644 examples/systemd/filesignals.service dist/root/usr/share/doc/filesignals/examples/filesignals.service

dist: dist/root
	tar -C dist/root -czf dist/filesignals-$(VERSION)-linux-$(ARCH).tar.gz --owner=0 --group=0 usr
	@echo dist/filesignals-$(VERSION)-linux-$(ARCH).tar.gz

# Depends: the Debian package of every shared library ldd finds (libinotifytools0, libc6, libsqlite3-0...).
deb: dist/root
	rm -rf dist/deb && cp -a dist/root dist/deb && mkdir -p dist/deb/DEBIAN
	{ \
	  echo "Package: filesignals"; \
	  echo "Version: $(VERSION)"; \
	  echo "Architecture: $(ARCH)"; \
	  echo "Maintainer: FileSignals developers <filesignals@localhost>"; \
	  echo "Section: utils"; \
	  echo "Priority: optional"; \
	  echo "Installed-Size: $$(du -sk dist/root | cut -f1)"; \
	  echo "Depends: $$(for library in $$(ldd $(STATIC_BINARY) | awk '/=> \// { print $$3 }'); do \
	      dpkg -S "$$library" 2>/dev/null || dpkg -S "$$(readlink -f "$$library")" 2>/dev/null; \
	    done | cut -d: -f1 | sort -u | paste -sd, | sed 's/,/, /g')"; \
	  echo "Homepage: https://github.com/filesignals/filesignals"; \
	  echo "Description: Django's signals for files: report each save and delete in watched folders"; \
	  echo " filesignals watches folders through inotify, groups files into named models, and turns what happens"; \
	  echo " to them into pre_save, post_save, pre_delete and post_delete signals, dispatched to shell commands,"; \
	  echo " programs and HTTP endpoints (as CloudEvents), or printed as JSON lines."; \
	} > dist/deb/DEBIAN/control
	dpkg-deb --root-owner-group -Zgzip --build dist/deb dist/filesignals_$(VERSION)_$(ARCH).deb
	@echo dist/filesignals_$(VERSION)_$(ARCH).deb

# SPDX-License-Identifier: GPL-2.0-or-later
# make install [PREFIX=/usr/local] [DESTDIR=...]: the release binary, both man pages and the bash, zsh and
# fish completions. make uninstall removes exactly those files. BINARY=path installs an already built binary.

PREFIX ?= /usr/local
BINARY ?= .build/release/filesignals
bindir = $(DESTDIR)$(PREFIX)/bin
mandir = $(DESTDIR)$(PREFIX)/share/man
bashdir = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
zshdir = $(DESTDIR)$(PREFIX)/share/zsh/site-functions
fishdir = $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d

.PHONY: all build install uninstall

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

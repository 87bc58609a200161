# SPDX-License-Identifier: GPL-2.0-or-later
# packaging/: configuration files, systemd units and udev rules; Debian and RPM
# packaging (distributed, used by scripts/packages and tests/packaging/).

pkgsysconfdir = $(sysconfdir)/$(PACKAGE)
hooksdir = $(pkgsysconfdir)/freeze-hooks.d

# Configuration files are installed only where no file exists yet: an operator's
# edited /etc/selfballoon/*.conf survives `make install` (packages handle this as
# conffiles). `make uninstall` removes only files identical to the shipped ones.
PKG_CONF_FILES = conf/vssd.conf conf/selfballoond.conf
PKG_HOOK_FILES = conf/freeze-hooks.d/50-postgresql.sample
EXTRA_DIST += $(PKG_CONF_FILES) $(PKG_HOOK_FILES)

# The shipped configuration files and man pages are written with the default
# paths (/etc/selfballoon, /run); installed, they name the configured ones
# (./configure --prefix=/usr/local: /usr/local/etc/selfballoon), the paths the
# programs were built with.
pkg_paths = $(SED) -e 's|/etc/selfballoon|$(pkgsysconfdir)|g' \
	-e 's|/run/vssd|$(runstatedir)/vssd|g' -e 's|/run/selfballoon-host|$(runstatedir)/selfballoon-host|g'

install-data-hook: install-pkg-conf install-man-paths
uninstall-hook: uninstall-pkg-conf
install-pkg-conf:
	$(MKDIR_P) '$(DESTDIR)$(pkgsysconfdir)' '$(DESTDIR)$(hooksdir)'
	@for f in $(PKG_CONF_FILES:%=%:$(pkgsysconfdir)) $(PKG_HOOK_FILES:%=%:$(hooksdir)); do \
	  src=$${f%%:*}; d='$(DESTDIR)'$${f#*:}/$$(basename $$src); \
	  if test -e "$$d"; then echo "  keeping existing $$d"; \
	  else echo "  installing $$d (paths substituted)"; \
	    $(pkg_paths) '$(srcdir)/'$$src > "$$d.tmp" && chmod 644 "$$d.tmp" && mv "$$d.tmp" "$$d" || exit 1; fi; \
	done
uninstall-pkg-conf:
	@for f in $(PKG_CONF_FILES:%=%:$(pkgsysconfdir)) $(PKG_HOOK_FILES:%=%:$(hooksdir)); do \
	  src=$${f%%:*}; d='$(DESTDIR)'$${f#*:}/$$(basename $$src); \
	  if $(pkg_paths) '$(srcdir)/'$$src | cmp -s - "$$d"; then rm -f "$$d"; \
	  elif test -e "$$d"; then echo "  keeping modified $$d"; fi; \
	done
	-rmdir '$(DESTDIR)$(hooksdir)' '$(DESTDIR)$(pkgsysconfdir)' 2>/dev/null
# the man pages as installed by automake, then their paths substituted in place
install-man-paths:
	@for f in $(dist_man_MANS); do \
	  n=$$(basename $$f); d='$(DESTDIR)$(mandir)/man'$${n##*.}/$$n; \
	  test -f "$$d" || continue; \
	  $(pkg_paths) "$$d" > "$$d.tmp" && chmod 644 "$$d.tmp" && mv "$$d.tmp" "$$d" || exit 1; \
	done
.PHONY: install-pkg-conf uninstall-pkg-conf install-man-paths

# systemd units: paths substituted at make time (they follow prefix/sysconfdir
# given to make, not only to configure).
PKG_UNITS = packaging/systemd/vssd.service packaging/systemd/selfballoond.service \
	packaging/systemd/selfballoon-host@.service
EXTRA_DIST += $(PKG_UNITS:=.in)
CLEANFILES += $(PKG_UNITS)
if HAVE_SYSTEMD
systemdsystemunit_DATA = $(PKG_UNITS)
endif
pkg_edit = $(SED) -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@pkgsysconfdir[@]|$(pkgsysconfdir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' -e 's|@runstatedir[@]|$(runstatedir)|g'
$(PKG_UNITS): %: %.in Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(pkg_edit) $(srcdir)/$@.in > $@.tmp && mv $@.tmp $@
# units are built with `make` (all), so `systemd-analyze verify` can check them in place
all-local: $(PKG_UNITS)

if HAVE_UDEV_RULES
dist_udevrules_DATA = packaging/udev/60-vssd.rules
else
EXTRA_DIST += packaging/udev/60-vssd.rules
endif

EXTRA_DIST += packaging/debian packaging/rpm/selfballoon.spec scripts/packages

# The units' sandboxes emulated by hand (root); the packages built, installed,
# checked and purged (root, and only when CI=true or SELFBALLOON_PACKAGE_TEST=1).
TESTS += tests/packaging/sandbox.sh tests/packaging/deb-install.sh tests/packaging/install-paths.sh
EXTRA_DIST += tests/packaging/install-paths.sh tests/packaging/sandbox.sh tests/packaging/sandbox-run.sh tests/packaging/deb-install.sh \
	tests/packaging/vm-systemd.sh tests/packaging/vm-guest-test.sh
# deb-install.sh builds packages (CPU) and runs dpkg: after every other test but
# agent-balloon (agent/local.mk), never next to the timing-sensitive ones
tests/packaging/deb-install.log: $(filter-out tests/packaging/deb-install.log tests/integration/agent-balloon.log,$(TEST_LOGS))

# distcheck installs under its own prefix; units and rules must follow it.
# SELFBALLOON_UNIT_TESTS_ONLY=1 makes the root-only integration tests skip in the
# dist tree: `make check` in the source tree runs them (scripts/test); distcheck
# is about the tarball, the build and install rules, and the unit tests.
AM_DISTCHECK_CONFIGURE_FLAGS = \
	--with-systemdsystemunitdir='$${prefix}/lib/systemd/system' \
	--with-udevrulesdir='$${prefix}/lib/udev/rules.d' \
	SELFBALLOON_UNIT_TESTS_ONLY=1
AM_TESTS_ENVIRONMENT += \
	SELFBALLOON_UNIT_TESTS_ONLY="$${SELFBALLOON_UNIT_TESTS_ONLY:-$(SELFBALLOON_UNIT_TESTS_ONLY)}"; \
	export SELFBALLOON_UNIT_TESTS_ONLY;

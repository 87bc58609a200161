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

install-data-hook: install-pkg-conf
uninstall-hook: uninstall-pkg-conf
install-pkg-conf:
	$(MKDIR_P) '$(DESTDIR)$(pkgsysconfdir)' '$(DESTDIR)$(hooksdir)'
	@for f in $(PKG_CONF_FILES); do \
	  d='$(DESTDIR)$(pkgsysconfdir)/'$$(basename $$f); \
	  if test -e "$$d"; then echo "  keeping existing $$d"; \
	  else echo " $(INSTALL_DATA) $(srcdir)/$$f $$d"; $(INSTALL_DATA) '$(srcdir)/'$$f "$$d" || exit 1; fi; \
	done
	@for f in $(PKG_HOOK_FILES); do \
	  d='$(DESTDIR)$(hooksdir)/'$$(basename $$f); \
	  if test -e "$$d"; then echo "  keeping existing $$d"; \
	  else echo " $(INSTALL_DATA) $(srcdir)/$$f $$d"; $(INSTALL_DATA) '$(srcdir)/'$$f "$$d" || exit 1; fi; \
	done
uninstall-pkg-conf:
	@for f in $(PKG_CONF_FILES); do \
	  d='$(DESTDIR)$(pkgsysconfdir)/'$$(basename $$f); \
	  if cmp -s '$(srcdir)/'$$f "$$d"; then rm -f "$$d"; \
	  elif test -e "$$d"; then echo "  keeping modified $$d"; fi; \
	done
	@for f in $(PKG_HOOK_FILES); do \
	  d='$(DESTDIR)$(hooksdir)/'$$(basename $$f); \
	  if cmp -s '$(srcdir)/'$$f "$$d"; then rm -f "$$d"; \
	  elif test -e "$$d"; then echo "  keeping modified $$d"; fi; \
	done
	-rmdir '$(DESTDIR)$(hooksdir)' '$(DESTDIR)$(pkgsysconfdir)' 2>/dev/null
.PHONY: install-pkg-conf uninstall-pkg-conf

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
TESTS += tests/packaging/sandbox.sh tests/packaging/deb-install.sh
EXTRA_DIST += tests/packaging/sandbox.sh tests/packaging/sandbox-run.sh tests/packaging/deb-install.sh \
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

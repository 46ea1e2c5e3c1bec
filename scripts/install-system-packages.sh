#!/usr/bin/env bash
# System programs the tests drive for real: dig (DNS filter), curl (proxy), OpenLDAP (proxy
# authentication), Chromium (block page and dashboard in a browser), PostgreSQL (store), Postfix,
# swaks and ClamAV's clamd (mail filter), poppler-utils (pdftoppm: the report PDFs turned into pages).
# Debian packages only.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

packages=(dnsutils curl openssl slapd ldap-utils chromium postgresql postfix swaks clamav-daemon poppler-utils)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# Packaged daemons (slapd, postfix, clamd, freshclam) must not start on their default ports during installation.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT

debconf-set-selections <<SELECTIONS
slapd slapd/no_configuration boolean true
postfix postfix/main_mailer_type select No configuration
postfix postfix/mailname string localhost
SELECTIONS
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# System programs the tests drive for real: dig (DNS filter), curl (proxy), OpenLDAP (proxy
# authentication), Chromium (block page in a browser). Debian packages only.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

packages=(dnsutils curl openssl slapd ldap-utils chromium postgresql)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# Packaged daemons (slapd) must not start on their default ports during installation.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT

echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

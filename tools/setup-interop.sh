#!/usr/bin/env bash
# Installs the independent VHD readers/writers the interop tests compare against, nginx (HTTP range reads)
# and chromium (the browser tests).
# Idempotent; runs as root without sudo (CI and the dev machines are root).
set -euo pipefail

packages=(qemu-utils libvhdi-utils python3-libvhdi 7zip nginx-light chromium)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-interop: all present (${packages[*]})"
  exit 0
fi

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

echo "setup-interop: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-interop: done"

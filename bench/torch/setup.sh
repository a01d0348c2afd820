#!/usr/bin/env bash
# Installs the PyTorch peer: Debian's python3-torch (1.13.1+dfsg) and python3-numpy, and
# Debian's OpenBLAS 0.3.21 (openmp flavour) unpacked into bench/torch/openblas/ WITHOUT
# installing it, so the system-wide libblas.so.3 alternative stays as it is; bench.py is
# then run with LD_LIBRARY_PATH pointing there (see bench/run.sh). The openmp flavour
# shares torch's libgomp thread pool; the pthread one spins against it on 2 cores.
# Prints the OpenBLAS directory on success. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
if ! /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then
  if pgrep -x apt-get >/dev/null || pgrep -x dpkg >/dev/null; then
    echo "another apt-get/dpkg is running; wait for it and run again" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy >/dev/null
fi
ob=$PWD/openblas/usr/lib/x86_64-linux-gnu/openblas-openmp
if [ ! -e "$ob/libblas.so.3" ]; then
  tmp=$(mktemp -d)
  # apt-get download writes to the current directory; _apt cannot write to mktemp's dir.
  chmod 755 "$tmp"
  # The version measured is pinned; if Debian has moved on, take what it has (the run
  # records the version torch reports, and bench/README.md says which was measured).
  (cd "$tmp" && { apt-get download -qq libopenblas0-openmp=0.3.21+ds-4 2>/dev/null ||
    { apt-get update -qq && { apt-get download -qq libopenblas0-openmp=0.3.21+ds-4 ||
      apt-get download -qq libopenblas0-openmp; }; }; })
  rm -rf openblas
  dpkg -x "$tmp"/libopenblas0-openmp_*.deb openblas
  rm -rf "$tmp"
fi
echo "$ob"

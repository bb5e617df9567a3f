#!/usr/bin/env bash
# Install everything the coach needs on a fresh Debian/Ubuntu machine. Idempotent: a second run
# only checks. Steps: Debian packages -> .venv (torch CPU wheel FIRST) -> the package -> models.
set -euo pipefail
cd "$(dirname "$0")/.."

# PortAudio for capture; PulseAudio + ALSA's pulse plugin for monitor sources and the live test;
# the X11 libraries Qt's xcb platform loads, a CJK font for the overlay, Xvfb and xdotool (which
# presses the global hotkeys) for its tests;
# PostgreSQL (the store's tests start a throwaway server) and Chromium + its driver (the review
# pages are tested in a real browser).
APT_PACKAGES=(libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0 libegl1 libfontconfig1
  libdbus-1-3 fonts-noto-cjk xvfb xdotool postgresql chromium chromium-driver)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# pip is noisy about unused local index folders on these machines; keep the real messages.
quiet_pip() { "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
fi
# torch first and alone: asked for by sentence-transformers it would pull the CUDA build.
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  echo "setup: installing torch 2.13.0 (CPU)"
  quiet_pip .venv/bin/pip install -q torch==2.13.0
fi
stamp=.venv/.coach-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing coach and its dependencies"
  quiet_pip .venv/bin/pip install -q -e '.[dev]'
  touch "$stamp"
fi

.venv/bin/coach models pull

#!/usr/bin/env bash
# Assembles the self-contained distribution (Maven profile `dist` in harness/pom.xml calls this after
# copy-dependencies put every runtime jar into <dist>/lib and the DejaVu fonts into <fonts-dir>);
# docs/distribution.md describes the result:
#   <dist>/runtime   jlink image: only the modules we need, stripped and compressed, with a font fallback
#   <dist>/lib       all dependency jars (ours + third party; JCuda's natives cut to the driver binding)
#   <dist>/<harness jar>
#   <dist>/bin/apex        the apex command line (the repository's ./apex without its build step)
#   <dist>/bin/apex-java   java from the runtime with the flags every APEX JVM needs
#   <dist>/COMMIT          the commit it was built from (recorded in every environment.json)
# and <archive>: the same tree as apex-dist/ in one tar.gz, for copying (or carrying) it as one file.
# Usage: make-dist.sh <dist-dir> <harness-jar> <jdk-home> <modules> <fonts-dir> <src-dir> <archive>
set -euo pipefail
DIST="${1:?dist dir}"; JAR="${2:?harness jar}"; JDK="${3:?jdk home}"; MODULES="${4:?modules}"
FONTS="${5:?fonts dir}"; SRC="${6:?dist sources (harness/src/dist)}"; ARCHIVE="${7:?archive path}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JDK_BIN="$JDK/bin"
[[ -x "$JDK_BIN/jlink" ]] || JDK_BIN="$(dirname "$JDK")/bin"   # java.home may be the JDK itself or a jre/ below it
rm -rf "$DIST/runtime" "$DIST/bin" "$ARCHIVE"

# Runtime: the modules the jars use (jdeps; java.desktop for the charts: Java2D, ImageIO PNG, fonts) plus
# <modules>. java.desktop's X11 toolkit, splash screen and sound libraries stay out: every launcher runs headless.
USED="$("$JDK_BIN/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 -cp "$DIST/lib/*" "$JAR")"
MODULES="$(echo "$USED,$MODULES" | tr ',' '\n' | sort -u | paste -sd, -)"
"$JDK_BIN/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages --compress=zip-9 \
  --exclude-files='glob:**/libawt_xawt.so,glob:**/libsplashscreen.so,glob:**/libjsound.so' \
  --output "$DIST/runtime" 2> >(grep -v 'Using incubator modules' >&2)
# libjvm.so ships with its symbol table (29 MiB); without it, 25 MiB. Only hs_err crash logs lose native
# frame names. Skipped where binutils' strip is missing.
if command -v strip >/dev/null 2>&1; then
  chmod u+w "$DIST"/runtime/lib/*.so "$DIST"/runtime/lib/server/*.so
  strip --strip-unneeded "$DIST"/runtime/lib/*.so "$DIST"/runtime/lib/server/*.so
fi
# jlink links legal/<module>/LICENSE to java.base's copy; plain files survive any copy tool
find "$DIST/runtime" -type l | while read -r link; do cp --remove-destination "$(readlink -f "$link")" "$link"; done
# Fonts for hosts without any (see fontconfig.properties): Java2D cannot draw text, or even load a font
# file, until its font configuration finds one.
mkdir -p "$DIST/runtime/lib/fonts"
cp "$FONTS/DejaVuSans.ttf" "$FONTS/DejaVuSans-Bold.ttf" "$DIST/runtime/lib/fonts/"
cp "$FONTS/LICENSE" "$DIST/runtime/lib/fonts/LICENSE-DejaVu"
cp "$SRC/fontconfig.properties" "$DIST/runtime/lib/fontconfig.properties"

# JCuda's natives jar carries four JNI libraries; the cuda backend uses the driver API only, so the
# runtime-API, NVRTC and PTX-compiler bindings (22 of its 25 MiB) go. Same file name: the harness jar's
# manifest Class-Path names it.
NATIVES=("$DIST"/lib/jcuda-natives-*.jar)
if [[ -f "${NATIVES[0]}" ]]; then
  unpacked="$(mktemp -d)"
  (cd "$unpacked" && "$JDK_BIN/jar" --extract --file "${NATIVES[0]}")
  find "$unpacked/lib" -type f ! -name 'libJCudaDriver-*' -delete
  [[ -n "$(ls "$unpacked"/lib/libJCudaDriver-*)" ]]
  rm "${NATIVES[0]}"
  "$JDK_BIN/jar" --create --file "${NATIVES[0]}" --manifest "$unpacked/META-INF/MANIFEST.MF" \
    -C "$unpacked" lib -C "$unpacked" META-INF/maven
  rm -rf "$unpacked"
fi

# DJL's tokenizers jar (apex serve's text prompts) carries the Rust library for five platforms (18 MiB); the
# runtime above runs on this platform only, so only this platform's library stays. Same file name.
TOKENIZERS=("$DIST"/lib/tokenizers-*.jar)
if [[ -f "${TOKENIZERS[0]}" ]]; then
  case "$(uname -m)" in x86_64|amd64) platform=linux-x86_64 ;; aarch64|arm64) platform=linux-aarch64 ;; *) platform=none ;; esac
  unpacked="$(mktemp -d)"
  (cd "$unpacked" && "$JDK_BIN/jar" --extract --file "${TOKENIZERS[0]}")
  find "$unpacked/native/lib" -mindepth 1 -maxdepth 1 -type d ! -name "$platform" -exec rm -rf {} +
  mv "$unpacked/META-INF/MANIFEST.MF" "$unpacked.mf"
  rm "${TOKENIZERS[0]}"
  "$JDK_BIN/jar" --create --file "${TOKENIZERS[0]}" --manifest "$unpacked.mf" -C "$unpacked" .
  rm -rf "$unpacked" "$unpacked.mf"
fi

cp "$JAR" "$DIST/"   # next to lib/, so its manifest Class-Path (lib/...) also works for java -jar
mkdir -p "$DIST/bin"
sed "s|@JAR@|$(basename "$JAR")|" "$SRC/bin/apex-java" > "$DIST/bin/apex-java"
cp "$SRC/bin/apex" "$DIST/bin/apex"
chmod +x "$DIST/bin/apex" "$DIST/bin/apex-java"
commit="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
if [[ "$commit" != unknown && -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
  commit="$commit (with uncommitted changes)"
fi
echo "$commit" > "$DIST/COMMIT"

tar -C "$(dirname "$DIST")" --transform "s|^$(basename "$DIST")|apex-dist|" -czf "$ARCHIVE" "$(basename "$DIST")"
mib() { du -sm --apparent-size "$1" | cut -f1; }
echo "[dist] $(mib "$DIST") MiB in $DIST (runtime $(mib "$DIST/runtime") MiB, lib $(mib "$DIST/lib") MiB; modules $MODULES);" \
  "$(mib "$ARCHIVE") MiB as $ARCHIVE"

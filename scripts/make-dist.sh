#!/usr/bin/env bash
# Assembles the self-contained distribution (Maven profile `dist` in harness/pom.xml calls this after
# copy-dependencies put every runtime jar into <dist>/lib):
#   <dist>/runtime   jlink image: only the modules we need, stripped and compressed
#   <dist>/lib       all dependency jars (ours + third party, incl. JCuda and its linux-x86_64 natives)
#   <dist>/<harness jar>
#   <dist>/bin/apex-java   runs java from the runtime with the flags every APEX JVM needs
# Usage: make-dist.sh <dist-dir> <harness-jar> <jdk-home> <modules>
set -euo pipefail
DIST="${1:?dist dir}"; JAR="${2:?harness jar}"; JDK="${3:?jdk home}"; MODULES="${4:?modules}"
JLINK="$JDK/bin/jlink"
[[ -x "$JLINK" ]] || JLINK="$(dirname "$JDK")/bin/jlink"   # java.home may be the JDK itself or a jre/ below it
rm -rf "$DIST/runtime" "$DIST/bin"
"$JLINK" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages --compress=zip-9 \
  --output "$DIST/runtime" 2> >(grep -v 'Using incubator modules' >&2)
# libjvm.so ships with its symbol table (29 MiB); without it (25 MiB) the dist stays under 64 MiB.
# Only hs_err crash logs lose native frame names. Skipped where binutils' strip is missing.
if command -v strip >/dev/null 2>&1; then
  chmod u+w "$DIST"/runtime/lib/*.so "$DIST"/runtime/lib/server/*.so
  strip --strip-unneeded "$DIST"/runtime/lib/*.so "$DIST"/runtime/lib/server/*.so
fi
# jlink links legal/<module>/LICENSE to java.base's copy; plain files survive any copy tool
find "$DIST/runtime" -type l | while read -r link; do cp --remove-destination "$(readlink -f "$link")" "$link"; done
cp "$JAR" "$DIST/"   # next to lib/, so its manifest Class-Path (lib/...) also works for java -jar
mkdir -p "$DIST/bin"
cat > "$DIST/bin/apex-java" <<'LAUNCH'
#!/usr/bin/env bash
# java from the bundled runtime, all jars on the class path (JCuda needs the class path, not the module
# path), the JVM flags every APEX JVM needs (Vector API, native access, headless), and a private tmpdir so JCuda never reuses stale natives.
DIST="$(cd "$(dirname "$0")/.." && pwd)"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/apex-java.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
"$DIST/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0 -Djava.awt.headless=true -Djava.io.tmpdir="$TMP" \
  -cp "$DIST/@JAR@:$DIST/lib/*" "$@"
LAUNCH
sed -i "s|@JAR@|$(basename "$JAR")|" "$DIST/bin/apex-java"
chmod +x "$DIST/bin/apex-java"
echo "[dist] $(du -sm "$DIST" | cut -f1) MiB in $DIST (runtime $(du -sm "$DIST/runtime" | cut -f1) MiB, lib $(du -sm "$DIST/lib" | cut -f1) MiB; modules $MODULES)"

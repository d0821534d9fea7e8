# Sourced by ./apex, ./run-tests and .ci/run: selects a Java 25 JDK or fails saying how to get one.
# Order: $APEX_JAVA_HOME, $JAVA_HOME if it is 25+, Temurin 25 at its Debian path, java on the PATH.
apex_java_ok() { [ -x "$1/bin/java" ] && "$1/bin/java" -version 2>&1 | head -1 | grep -Eq '"(2[5-9]|[3-9][0-9])[."]'; }
for candidate in "${APEX_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 \
                 "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
  if [ -n "$candidate" ] && apex_java_ok "$candidate"; then export JAVA_HOME="$candidate"; break; fi
  candidate=""
done
if [ -z "${candidate:-}" ]; then
  echo "APEX Bench needs a Java 25 JDK. Install Temurin 25 (e.g. /usr/lib/jvm/temurin-25-jdk-amd64) or set APEX_JAVA_HOME to one." >&2
  exit 2
fi
export PATH="$JAVA_HOME/bin:$PATH"
# Maven's own libraries (Guava, Jansi) call sun.misc.Unsafe and restricted methods, which Java 24+ reports
# on every build; those warnings are about Maven, not about APEX Bench, so our scripts keep them quiet.
case " ${MAVEN_OPTS:-} " in
  *" --sun-misc-unsafe-memory-access="*) ;;
  *) export MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED ${MAVEN_OPTS:-}" ;;
esac

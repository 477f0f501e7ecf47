# Shared by the tools/ launchers (sourced, not run). Builds the jars when they are missing or older
# than any source, module pom or run config, and runs a main class with the right JVM options.
#   jepa4j_run  <tool-name> jar   ARGS...              java -jar src/cli/target/jepa4j.jar ARGS
#   jepa4j_run  <tool-name> bench CLASS ARGS...        a benchmark main class of src/bench
#   jepa4j_run  <tool-name> jar spark-embed ARGS...    the Spark job jar on Spark's own class path (below)
#   jepa4j_run  <tool-name> jar knn ARGS...            kNN of precomputed embeddings, from the same jar
# Environment: JEPA4J_JAVA_OPTS (extra JVM options; an -Xmx there replaces the default heap of half
# the machine's memory), JAVA_HOME (which java to use), JEPA4J_NO_BUILD=1 (never build: use the jars
# as they are).

jepa4j_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
jepa4j_cli_jar="$jepa4j_root/src/cli/target/jepa4j.jar"
jepa4j_bench_jar="$jepa4j_root/src/bench/target/jepa4j-bench.jar"
jepa4j_spark_jar="$jepa4j_root/src/spark/target/jepa4j-spark-job.jar"
jepa4j_spark_classpath="$jepa4j_root/src/spark/target/spark-classpath.txt"
# The options spark-submit adds on Java 17 (Spark's JavaModuleOptions); the tests' copy is the argLine of src/spark/pom.xml
jepa4j_spark_jvm_options=(-XX:+IgnoreUnrecognizedVMOptions --add-modules=jdk.incubator.vector
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true)

jepa4j_stale() {
  local jar
  for jar in "$jepa4j_cli_jar" "$jepa4j_bench_jar" "$jepa4j_spark_jar"; do
    [[ ! -f "$jar" ]] && return 0
    [[ -n "$(find "$jepa4j_root"/src/*/main "$jepa4j_root"/src/*/pom.xml "$jepa4j_root/graphs" \
      "$jepa4j_root/pom.xml" -newer "$jar" -print -quit 2>/dev/null)" ]] && return 0
  done
  return 1
}

jepa4j_build() {
  # JEPA4J_NO_BUILD=1: use the jars as they are (a test that runs a tool inside the Maven build)
  if [[ "${JEPA4J_NO_BUILD:-}" != 1 ]] && jepa4j_stale; then
    echo "$1: building the jepa4j jars (mvn package) ..." >&2
    (cd "$jepa4j_root" && mvn -q -B -ntp -Dstyle.color=never package -DskipTests) >&2
    touch "$jepa4j_cli_jar" "$jepa4j_bench_jar" "$jepa4j_spark_jar" # the jar plugin may keep an up-to-date jar; mark both as checked
  fi
}

jepa4j_run() {
  local tool="$1" kind="$2"
  shift 2
  jepa4j_build "$tool"
  local java=java
  [[ -n "${JAVA_HOME:-}" ]] && java="$JAVA_HOME/bin/java"
  # feature release of the JVM (17, 21, 22, ...)
  local spec release
  spec="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')"
  release="${spec#1.}"
  release="${release%%.*}"
  local opts=()
  # Java 22+ warns about native access (TensorFlow, ONNX Runtime) unless it is granted
  if [[ "$release" =~ ^[0-9]+$ ]] && (( release >= 22 )); then
    opts+=(--enable-native-access=ALL-UNNAMED)
  fi
  local user_opts="${JEPA4J_JAVA_OPTS:-}"
  # Default heap: half of the machine's memory (TensorFlow's native memory lives outside the heap)
  if [[ "$user_opts" != *-Xmx* && "$user_opts" != *MaxRAMPercentage* ]]; then
    opts+=(-XX:MaxRAMPercentage=50)
  fi
  opts+=("-Djepa4j.home=$jepa4j_root" -Djava.awt.headless=true)
  if [[ "$kind" == jar && ( "${1:-}" == spark-embed || "${1:-}" == knn ) ]]; then
    # Spark 4.0 needs Netty 4.1 and the CLI's class path has Vert.x 5 with Netty 4.2: spark-embed runs
    # the job jar (jepa4j, ONNX Runtime, picocli) on Spark's own jars alone, listed by the build in
    # src/spark/target/spark-classpath.txt (docs/spark.md)
    local spark_main=org.jepa4j.spark.SparkEmbedCommand
    [[ "$1" == knn ]] && spark_main=org.jepa4j.spark.KnnCommand
    shift
    opts+=("${jepa4j_spark_jvm_options[@]}" "-Dlog4j2.configurationFile=$jepa4j_root/src/spark/main/resources/jepa4j-spark-log4j2.properties")
    # shellcheck disable=SC2086
    exec "$java" "${opts[@]}" $user_opts -cp "$jepa4j_spark_jar:$(cat "$jepa4j_spark_classpath")" \
      "$spark_main" "$@"
  fi
  if [[ "$kind" == jar ]]; then
    # JEPA4J_JAVA_OPTS is split on spaces on purpose (several options in one variable)
    # shellcheck disable=SC2086
    exec "$java" "${opts[@]}" $user_opts -jar "$jepa4j_cli_jar" "$@"
  fi
  local main="$1"
  shift
  # the CLI's lib/ holds every jar the benchmarks need (they depend on the same modules)
  # shellcheck disable=SC2086
  exec "$java" "${opts[@]}" $user_opts -cp "$jepa4j_bench_jar:$jepa4j_root/src/cli/target/lib/*" "$main" "$@"
}

# Finds a JDK 21 or newer for t2i's scripts. Source it, then call t2i_find_jdk:
# it prints the JDK's home directory, or explains what to install and returns 1.
# Looks at JAVA_HOME first, then the usual install locations, then the java on PATH.

t2i_jdk_version() {
  # Prints the major version of the JDK at $1 (empty if it is not a JDK).
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | awk -F'= ' '/java.specification.version/ {print $2; exit}' \
    | sed 's/^1\.//'
}

t2i_find_jdk() {
  local required=21 candidate version best="" best_version=0
  if [ -n "${JAVA_HOME:-}" ]; then
    version=$(t2i_jdk_version "$JAVA_HOME")
    if [ -n "$version" ] && [ "$version" -ge "$required" ]; then
      echo "$JAVA_HOME"
      return 0
    fi
  fi
  local on_path=""
  if command -v java >/dev/null 2>&1; then
    on_path=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  fi
  for candidate in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* \
      /Library/Java/JavaVirtualMachines/*/Contents/Home \
      "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* $on_path; do
    [ -d "$candidate" ] || continue
    version=$(t2i_jdk_version "$candidate")
    if [ -n "$version" ] && [ "$version" -ge "$required" ] && [ "$version" -gt "$best_version" ]; then
      best="$candidate"
      best_version="$version"
    fi
  done
  if [ -n "$best" ]; then
    echo "$best"
    return 0
  fi
  cat >&2 <<MSG
t2i needs a JDK 21 or newer (with javac), and none was found in JAVA_HOME,
/usr/lib/jvm, /usr/java, /opt, ~/.sdkman, ~/.jdks or on the PATH.
Install one, for example:
  Debian/Ubuntu:  sudo apt-get install openjdk-21-jdk
  macOS:          brew install openjdk@21
  any system:     https://adoptium.net (Temurin 21 or later)
then run this again, or point JAVA_HOME at it.
MSG
  return 1
}

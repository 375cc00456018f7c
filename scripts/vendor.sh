#!/usr/bin/env bash
# Vendor front-end assets from the npm registry into static/vendor/.
#
# Uses `npm pack` (downloads the published tarball only; no node_modules, no
# install scripts). Node/npm are needed only to run this script, never at run
# time: Flask just serves the copied files from static/.
#
# Usage (from the repo root):  scripts/vendor.sh
set -euo pipefail

NHSUK_FRONTEND_VERSION=10.6.1
HTMX_VERSION=4.0.1 # newest final 4.0.x of htmx.org on npm when vendored

# Source maps bigger than this are not vendored (bytes).
MAX_MAP_BYTES=$((500 * 1024))

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR_DIR="$REPO_ROOT/static/vendor"
NHSUK_DEST="$VENDOR_DIR/nhsuk-frontend"
HTMX_DEST="$VENDOR_DIR/htmx"
DOCS_DIR="$REPO_ROOT/docs"
# URL prefix Flask serves static/ under.
NHSUK_URL_PREFIX="/static/vendor/nhsuk-frontend/assets/"

command -v npm >/dev/null || { echo "error: npm is required to vendor assets" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# pack_and_extract PKG VERSION -> prints the extracted package dir
pack_and_extract() {
  local pkg="$1" ver="$2" tgz dir expected actual
  tgz="$(cd "$TMP" && npm pack --loglevel=error "$pkg@$ver" | tail -n1)"
  expected="$(npm view --loglevel=error "$pkg@$ver" dist.integrity)"
  actual="sha512-$(openssl dgst -sha512 -binary "$TMP/$tgz" | base64 -w0)"
  if [[ "$expected" != "$actual" ]]; then
    echo "error: integrity mismatch for $pkg@$ver: registry=$expected tarball=$actual" >&2
    exit 1
  fi
  dir="$TMP/${tgz%.tgz}"
  mkdir -p "$dir"
  tar -xzf "$TMP/$tgz" -C "$dir"
  echo "$dir/package"
}

# copy_map_or_strip MINFILE_SRC DEST_DIR: copy MINFILE.map if small enough,
# otherwise strip the sourceMappingURL comment from the copied file.
copy_map_or_strip() {
  local src="$1" dest_dir="$2" name map size
  name="$(basename "$src")"
  map="$src.map"
  if [[ -f "$map" ]]; then
    size="$(stat -c %s "$map")"
    if (( size <= MAX_MAP_BYTES )); then
      cp "$map" "$dest_dir/"
      return
    fi
    echo "skipping $(basename "$map") ($size bytes > $MAX_MAP_BYTES)" >&2
  fi
  sed -i -E 's@/[*/]# sourceMappingURL=[^[:space:]]+( \*/)?[[:space:]]*$@@' "$dest_dir/$name"
}

echo "Vendoring nhsuk-frontend@$NHSUK_FRONTEND_VERSION and htmx.org@$HTMX_VERSION" >&2
NHSUK_PKG="$(pack_and_extract nhsuk-frontend "$NHSUK_FRONTEND_VERSION")"
HTMX_PKG="$(pack_and_extract htmx.org "$HTMX_VERSION")"

# ---------------------------------------------------------------- nhsuk-frontend
NHSUK_DIST="$NHSUK_PKG/dist/nhsuk"
rm -rf "$NHSUK_DEST"
mkdir -p "$NHSUK_DEST"

cp "$NHSUK_DIST/nhsuk-frontend.min.css" "$NHSUK_DEST/"
copy_map_or_strip "$NHSUK_DIST/nhsuk-frontend.min.css" "$NHSUK_DEST"
cp "$NHSUK_DIST/nhsuk-frontend.min.js" "$NHSUK_DEST/"   # ES module
copy_map_or_strip "$NHSUK_DIST/nhsuk-frontend.min.js" "$NHSUK_DEST"
cp -R "$NHSUK_DIST/assets" "$NHSUK_DEST/assets"         # images/, manifest.json

# The compiled CSS references images as url(/assets/images/...). Point them at
# where Flask serves them. (Fonts are absolute https://assets.nhs.uk/... URLs and
# are left alone.)
sed -i -E "s#url\\((['\"]?)/assets/#url(\\1${NHSUK_URL_PREFIX}#g" "$NHSUK_DEST/nhsuk-frontend.min.css"
if grep -Eq "url\\((['\"]?)/assets/" "$NHSUK_DEST/nhsuk-frontend.min.css"; then
  echo "error: unrewritten /assets/ URLs remain in nhsuk-frontend.min.css" >&2
  exit 1
fi
# Every root-relative url() in the CSS must point at a vendored file.
grep -oE "url\\(['\"]?/[^)'\"]+" "$NHSUK_DEST/nhsuk-frontend.min.css" | sed -E "s#^url\\(['\"]?/static/vendor/##" | sort -u |
  while read -r rel; do
    [[ -f "$VENDOR_DIR/$rel" ]] || { echo "error: CSS references missing file $rel" >&2; exit 1; }
  done

# ---------------------------------------------------------------- htmx
rm -rf "$HTMX_DEST"
mkdir -p "$HTMX_DEST"
cp "$HTMX_PKG/dist/htmx.min.js" "$HTMX_DEST/"   # classic script build (not ESM)

# htmx 2 -> 4 upgrade notes shipped inside the npm package.
if [[ -f "$HTMX_PKG/dist/skills/htmx-upgrade-from-htmx2.md" ]]; then
  mkdir -p "$DOCS_DIR"
  cp "$HTMX_PKG/dist/skills/htmx-upgrade-from-htmx2.md" "$DOCS_DIR/htmx-upgrade-from-htmx2.md"
fi

# ---------------------------------------------------------------- VERSIONS.txt
{
  echo "# Vendored by scripts/vendor.sh from the npm registry (npm pack). Do not edit by hand."
  echo "# package version integrity"
  echo "nhsuk-frontend $NHSUK_FRONTEND_VERSION $(npm view --loglevel=error "nhsuk-frontend@$NHSUK_FRONTEND_VERSION" dist.integrity)"
  echo "htmx.org $HTMX_VERSION $(npm view --loglevel=error "htmx.org@$HTMX_VERSION" dist.integrity)"
} > "$VENDOR_DIR/VERSIONS.txt"

echo "Done:" >&2
(cd "$REPO_ROOT" && find static/vendor -type f | sort | xargs du -b) >&2

# Sourced by scripts/get-pythons.sh and scripts/get-venvs.sh (not run): the
# cache folder and the versions asked for, the same way for both.
#   CACHE     $WA_PYTHONS_CACHE, default ~/.cache/whyalive/pythons
#   VERSIONS  the arguments, or $WA_PYTHONS, default "3.14 3.15"; anything
#             but 3.X is a usage error (exit 2)
home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
CACHE=${WA_PYTHONS_CACHE:-$home/.cache/whyalive/pythons}
if [ $# -gt 0 ]; then VERSIONS=("$@"); else read -r -a VERSIONS <<<"${WA_PYTHONS:-3.14 3.15}"; fi
for v in "${VERSIONS[@]}"; do
  if ! [[ $v =~ ^3\.[0-9]+$ ]]; then
    echo "usage: $0 [3.X ...] (got '$v')" >&2
    exit 2
  fi
done

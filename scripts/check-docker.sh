#!/usr/bin/env bash
# Static checks of Dockerfile and docker-compose.yml, without a Docker engine (none in CI):
#  - Dockerfile: every instruction is a known one, files copied from the context exist,
#    dependencies are installed with `npm ci` (the lockfile, not a fresh resolution);
#  - docker-compose.yml: `docker compose config` (or Debian's docker-compose) parses and
#    validates it; docker-compose is installed from Debian's packages when missing;
#  - hadolint, only where it is installed (Debian bookworm has no package of it): optional.
# The image is never built here: that needs an engine.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "check-docker: $*" >&2; exit 1; }

# --- Dockerfile -----------------------------------------------------------------------
[ -f Dockerfile ] || fail "Dockerfile is missing"
known=" FROM RUN CMD LABEL MAINTAINER EXPOSE ENV ADD COPY ENTRYPOINT VOLUME USER WORKDIR ARG ONBUILD STOPSIGNAL HEALTHCHECK SHELL "
line_no=0 start=0 logical=""
while IFS= read -r raw || [ -n "$raw" ]; do
  line_no=$((line_no + 1))
  if [ -z "$logical" ]; then
    start=$line_no
    trimmed=${raw#"${raw%%[![:space:]]*}"}
    [ -z "$trimmed" ] || [[ "$trimmed" == '#'* ]] && continue
  fi
  if [[ "$raw" == *\\ ]]; then logical+="${raw%\\} "; continue; fi
  logical+="$raw"
  read -r word rest <<<"$logical"
  upper=$(tr '[:lower:]' '[:upper:]' <<<"$word")
  [[ "$known" == *" $upper "* ]] || fail "Dockerfile:$start: unknown instruction '$word'"
  if [ "$upper" = COPY ] || [ "$upper" = ADD ]; then
    if [[ "$rest" != --from=* && "$rest" != \[* ]]; then
      read -r -a args <<<"$rest"
      srcs=()
      for a in "${args[@]}"; do [[ "$a" == --* ]] || srcs+=("$a"); done
      for ((i = 0; i < ${#srcs[@]} - 1; i++)); do
        src=${srcs[$i]}
        [[ "$src" == *[*?]* || "$src" == http*://* ]] && continue
        [ -e "$src" ] || fail "Dockerfile:$start: $upper source '$src' does not exist"
      done
    fi
  fi
  logical=""
done <Dockerfile
grep -Eq '^[[:space:]]*RUN[[:space:]].*npm ci( |$)' Dockerfile || fail "Dockerfile does not install with 'npm ci'"
if grep -Eq '^[[:space:]]*RUN[[:space:]].*npm (install|i)( |$)' Dockerfile; then
  fail "Dockerfile runs 'npm install': use 'npm ci' so the image gets the lockfile's versions"
fi
echo "check-docker: Dockerfile ok (instructions, COPY sources, npm ci)"

# --- docker-compose.yml ---------------------------------------------------------------
compose=()
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  echo "check-docker: installing docker-compose from Debian's packages"
  for try in 1 2; do
    if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose; } >/tmp/check-docker-apt.log 2>&1; then
      break
    fi
    [ "$try" = 2 ] && { cat /tmp/check-docker-apt.log >&2; fail "could not install docker-compose: docker-compose.yml not validated"; }
    sleep 5
  done
  compose=(docker-compose)
fi
"${compose[@]}" -f docker-compose.yml config -q || fail "docker-compose.yml is invalid (${compose[*]} config)"
echo "check-docker: docker-compose.yml ok (${compose[*]} config)"

# --- hadolint (optional) --------------------------------------------------------------
if command -v hadolint >/dev/null 2>&1; then
  hadolint --failure-threshold error Dockerfile || fail "hadolint found errors in Dockerfile"
  echo "check-docker: hadolint ok"
else
  echo "check-docker: hadolint not installed (Debian has no package of it), skipped"
fi

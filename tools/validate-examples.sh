#!/usr/bin/env bash
# `terraform validate` of every example directory against the built provider (dev_overrides: no
# `terraform init`, nothing fetched). Each directory is copied to a scratch directory first, so
# validation leaves nothing behind in examples/. Registry-style examples (resources/, data-sources/)
# hold no provider block, like the docs that embed them: examples/provider/provider.tf is added.
# A test certificate (izuma-local keygen) stands in for the signer-cert.pem that examples read.
#
# Environment: TF_CLI_CONFIG_FILE (the dev_overrides CLI config), IZUMA_LOCAL (izuma-local binary),
# TERRAFORM (default terraform).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${TF_CLI_CONFIG_FILE:?set TF_CLI_CONFIG_FILE to the dev_overrides CLI config (make install writes .tf/dev.tfrc)}"
: "${IZUMA_LOCAL:?set IZUMA_LOCAL to the izuma-local binary}"
TERRAFORM=${TERRAFORM:-terraform}
export CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE TF_IN_AUTOMATION=1

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$IZUMA_LOCAL" keygen --out-dir "$scratch" --name signer >/dev/null

failed=0
while IFS= read -r dir; do
  work="$scratch/work"
  rm -rf "$work" && mkdir -p "$work"
  find "$dir" -maxdepth 1 -type f \( -name '*.tf' -o -name '*.tftest.hcl' \) -exec cp {} "$work/" \;
  if [[ -d "$dir/tests" ]]; then cp -r "$dir/tests" "$work/"; fi
  case "$dir" in
    examples/resources/* | examples/data-sources/*) cp examples/provider/provider.tf "$work/provider.tf" ;;
  esac
  cp "$scratch/signer-cert.pem" "$work/"
  if output=$(cd "$work" && "$TERRAFORM" validate -no-color 2>&1); then
    echo "ok      $dir"
  else
    echo "FAILED  $dir"
    echo "$output" | sed 's/^/        /'
    failed=1
  fi
done < <(find examples -name '*.tf' -printf '%h\n' | sort -u)
exit $failed

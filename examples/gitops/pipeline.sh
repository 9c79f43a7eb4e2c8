#!/usr/bin/env bash
# The steps of the GitOps pipeline for CDKTF-managed Tuco webhooks, one stage per call, so the CI
# workflow (tuco-webhooks.yml) stays thin and the same steps run locally and in tests.
#
#   pipeline.sh synth     build, then synthesize the stack into $CDKTF_OUTDIR/stacks/$STACK
#   pipeline.sh drift     compare the live webhooks with the synthesized stack (exit 2 on drift)
#   pipeline.sh plan      terraform init + plan -detailed-exitcode (exit 2 when there are changes)
#   pipeline.sh deploy    terraform init + apply, then require the drift check to be clean
#   pipeline.sh publish   copy the sealed secret files to $PUBLISH_DIR (or commit them with PUBLISH=git)
#
# Environment: TUCO_API_KEY (secret; read by the provisioners and drift, never written anywhere),
# TUCO_API_URL, TUCO_AGE_RECIPIENTS (comma-separated age1... keys; else cdktf.json context),
# STACK (default webhooks-prod), CDKTF_OUTDIR (default cdktf.out), TUCO_RESOURCE_TYPE (overrides
# the cdktf.json context), DRIFT_FIX=1 (drift --fix), SKIP_BUILD=1, PUBLISH_DIR, PUBLISH=git.
set -euo pipefail

REPO="${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
STACK="${STACK:-webhooks-prod}"
OUT="${CDKTF_OUTDIR:-cdktf.out}"
STACK_DIR="$OUT/stacks/$STACK"
# In a project that installed the package: node node_modules/tuco-webhooks/dist/cli/main.js
CLI=(node "$REPO/dist/cli/main.js")
TF=(terraform -chdir="$STACK_DIR")

stage="${1:-}"
case "$stage" in
  synth)
    if [ "${SKIP_BUILD:-}" != "1" ]; then
      (cd "$REPO" && npm run --silent build && npx tsc -p examples/cdktf)
    fi
    # What `cdktf synth` does: run the app with the cdktf.json context in CDKTF_CONTEXT_JSON.
    CDKTF_CONTEXT_JSON="$(node -e '
      const ctx = require(process.argv[1]).context || {};
      if (process.env.TUCO_RESOURCE_TYPE) ctx["tuco-webhooks:resourceType"] = process.env.TUCO_RESOURCE_TYPE;
      process.stdout.write(JSON.stringify(ctx));' "$REPO/cdktf.json")" \
    CDKTF_OUTDIR="$OUT" node "$REPO/dist/examples/cdktf/main.js"
    echo "synthesized $STACK_DIR/cdk.tf.json" >&2
    ;;
  drift)
    # 0 in sync, 2 drift (printed like a plan), 1 error. terraform plan cannot see this drift.
    # drift reads the stack instance from the Terraform state (terraform show): init the folder first.
    "${TF[@]}" init -input=false -no-color >&2
    if [ "${DRIFT_FIX:-}" = "1" ]; then "${CLI[@]}" drift "$STACK_DIR" --fix; else "${CLI[@]}" drift "$STACK_DIR"; fi
    ;;
  plan)
    "${TF[@]}" init -input=false -no-color >&2
    "${TF[@]}" plan -input=false -no-color -detailed-exitcode
    ;;
  deploy)
    "${TF[@]}" init -input=false -no-color >&2
    "${TF[@]}" apply -input=false -no-color -auto-approve
    # After a successful apply the live webhooks must match: anything else is a bug or a race.
    "${CLI[@]}" drift "$STACK_DIR"
    ;;
  publish)
    SRC="sealed-secrets/$STACK"
    if [ ! -d "$SRC" ]; then echo "no sealed secrets under $SRC: nothing new was created" >&2; exit 0; fi
    if [ "${PUBLISH:-}" = "git" ]; then
      git add "$SRC"
      if git diff --cached --quiet -- "$SRC"; then echo "sealed secrets unchanged" >&2; exit 0; fi
      git commit -m "sealed webhook secrets for $STACK" -- "$SRC"
      git push
    else
      : "${PUBLISH_DIR:?set PUBLISH_DIR (or PUBLISH=git)}"
      mkdir -p "$PUBLISH_DIR/$STACK"
      cp -R "$SRC/." "$PUBLISH_DIR/$STACK/"
      echo "published $(find "$SRC" -name '*.age' | wc -l) sealed secret file(s) to $PUBLISH_DIR/$STACK" >&2
    fi
    ;;
  *)
    echo "usage: pipeline.sh synth|drift|plan|deploy|publish" >&2
    exit 1
    ;;
esac

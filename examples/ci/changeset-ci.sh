#!/usr/bin/env bash
# The one script both CI examples run (github-actions.yml, gitlab-ci.yml), so that what they do is
# what tests/it/ci_example.rs runs against the test IdP and a fake Google.
#
#   changeset-ci.sh plan    pull/merge request: plan the request -> plan.json and plan.txt (the
#                           table, for the reviewers); exit 0 with or without changes
#   changeset-ci.sh apply   merge: plan the merged request again and apply that plan without a
#                           prompt, waiting for the approval push (CIBA) -> plan.txt, receipt.txt
#
# The request is the plain-English text in $CHANGESET_CI_REQUEST (default changeset-request.txt,
# committed in the pull request). Everything else comes from the environment, the secrets from
# the CI secret store: CHANGESET_REFRESH_TOKEN (the Native app's, rotation off), and for apply
# the confidential client (CHANGESET_CONFIDENTIAL_CLIENT_ID + CHANGESET_CLIENT_SECRET, or the CIBA
# and Token Vault pairs). The merge job plans again rather than fetching the pull request's file:
# if the catalog moved since the review, the new table is in the log and the push names the new
# plan id; an unchanged catalog gives the reviewed changes.
set -euo pipefail

request_file=${CHANGESET_CI_REQUEST:-changeset-request.txt}

# Plans the request into plan.json and plan.txt; sets has_changes.
plan() {
    local status=0
    changeset plan "$(cat "$request_file")" -o plan.json --detailed-exitcode >plan.txt || status=$?
    cat plan.txt
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        printf '### changeset plan\n\n```\n%s\n```\n' "$(cat plan.txt)" >>"$GITHUB_STEP_SUMMARY"
    fi
    case $status in
        0) has_changes=false ;;
        10) has_changes=true ;;   # --detailed-exitcode: the plan has changes
        *) exit "$status" ;;
    esac
}

case ${1:-} in
    plan)
        plan
        ;;
    apply)
        plan
        if [ "$has_changes" = false ]; then
            echo "changeset-ci: the plan has no changes, nothing to apply" >&2
            exit 0
        fi
        # --no-input: never prompt; tier 2 and 3 wait for the approver's push (CIBA) instead.
        status=0
        changeset apply plan.json --no-input >receipt.txt || status=$?
        cat receipt.txt
        exit "$status"
        ;;
    *)
        echo "usage: $0 plan|apply" >&2
        exit 2
        ;;
esac

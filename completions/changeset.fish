# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_changeset_global_optspecs
    string join \n config= q/quiet v/verbose h/help V/version
end

function __fish_changeset_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_changeset_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_changeset_using_subcommand
    set -l cmd (__fish_changeset_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c changeset -n "__fish_changeset_needs_command" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_needs_command" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_needs_command" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c changeset -n "__fish_changeset_needs_command" -s V -l version -d 'Print version'
complete -c changeset -n "__fish_changeset_needs_command" -f -a "login" -d 'Sign in with the Auth0 device flow and store the refresh token'
complete -c changeset -n "__fish_changeset_needs_command" -f -a "logout" -d 'Revoke the refresh token and delete it from the credential store'
complete -c changeset -n "__fish_changeset_needs_command" -f -a "whoami" -d 'Show the signed-in user, tenant, token expiry and credential store'
complete -c changeset -n "__fish_changeset_needs_command" -f -a "plan" -d 'Read the source, parse the request and score it; never writes the source'
complete -c changeset -n "__fish_changeset_needs_command" -f -a "apply" -d 'Apply a saved plan file, or plan and apply a request in one step'
complete -c changeset -n "__fish_changeset_needs_command" -f -a "rollback" -d 'Plan the inverse of an applied changeset, then approve and apply it like any plan'
complete -c changeset -n "__fish_changeset_needs_command" -f -a "recover" -d 'Finish or undo an apply that was interrupted'
complete -c changeset -n "__fish_changeset_needs_command" -f -a "audit" -d 'Read and verify the receipts in the audit store'
complete -c changeset -n "__fish_changeset_needs_command" -f -a "rules" -d 'Lint, test, explain and benchmark the rules file'
complete -c changeset -n "__fish_changeset_needs_command" -f -a "gate" -d 'The approval gate: a service that holds the rules, approvers and confidential clients'
complete -c changeset -n "__fish_changeset_needs_command" -f -a "show" -d 'Render a saved plan as `plan` printed it, and say whether it is still fresh'
complete -c changeset -n "__fish_changeset_needs_command" -f -a "doctor" -d 'Check every configured part (config, data directory, credential store, Auth0, Token Vault, source, rules, Gmail, gate) and say how to fix what is broken'
complete -c changeset -n "__fish_changeset_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c changeset -n "__fish_changeset_needs_command" -f -a "man" -d 'Print the man page (roff) of changeset or of one of its commands'
complete -c changeset -n "__fish_changeset_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c changeset -n "__fish_changeset_using_subcommand login" -l credential-store -d 'Where to keep the refresh token (default: the OS keychain when one works)' -r -f -a "keychain\t'The OS keychain (Keychain, Credential Manager, Secret Service)'
file\t'A 0600 file in the data directory'"
complete -c changeset -n "__fish_changeset_using_subcommand login" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand login" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand login" -l no-browser -d 'Do not try to open a browser; just print the URL and code'
complete -c changeset -n "__fish_changeset_using_subcommand login" -l qr -d 'Also print a QR code of the verification URL'
complete -c changeset -n "__fish_changeset_using_subcommand login" -l no-input -d 'Never prompt; fail with exit 4 where an answer would be needed (also CHANGESET_NO_INPUT or CI)'
complete -c changeset -n "__fish_changeset_using_subcommand login" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand login" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c changeset -n "__fish_changeset_using_subcommand logout" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand logout" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand logout" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand logout" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand logout" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand whoami" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand whoami" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand whoami" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand whoami" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand whoami" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand plan" -s o -l out -d 'Also save the plan to this file, for `changeset apply FILE`' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand plan" -l parser -d 'How to read the request' -r -f -a "grammar\t'The deterministic grammar (default; no network)'
llm\t'An OpenAI-compatible model (CHANGESET_LLM_URL); its output is validated like the grammar\'s'"
complete -c changeset -n "__fish_changeset_using_subcommand plan" -l source -d 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`' -r
complete -c changeset -n "__fish_changeset_using_subcommand plan" -l rules -d 'Rules file (default: the embedded rules/default.toml)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand plan" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand plan" -l fact -d 'A fact you measured, for the rules (repeatable): only facts changeset does not derive' -r
complete -c changeset -n "__fish_changeset_using_subcommand plan" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand plan" -l detailed-exitcode -d 'Exit 10 (instead of 0) when the plan has changes'
complete -c changeset -n "__fish_changeset_using_subcommand plan" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand plan" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand plan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c changeset -n "__fish_changeset_using_subcommand apply" -l approval -d 'How to ask for approval (default: ciba when Auth0 is configured, else tty)' -r -f -a "tty\t'Ask at this terminal'
ciba\t'Auth0 CIBA push to the approver\'s device'"
complete -c changeset -n "__fish_changeset_using_subcommand apply" -l wait -d 'Give up waiting for an out-of-band approval after this many seconds' -r
complete -c changeset -n "__fish_changeset_using_subcommand apply" -l parser -d 'How to read the request (when applying a request directly)' -r -f -a "grammar\t'The deterministic grammar (default; no network)'
llm\t'An OpenAI-compatible model (CHANGESET_LLM_URL); its output is validated like the grammar\'s'"
complete -c changeset -n "__fish_changeset_using_subcommand apply" -l source -d 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`' -r
complete -c changeset -n "__fish_changeset_using_subcommand apply" -l rules -d 'Rules file (default: the embedded rules/default.toml)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand apply" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand apply" -l fact -d 'A fact you measured, for the rules (repeatable): only facts changeset does not derive' -r
complete -c changeset -n "__fish_changeset_using_subcommand apply" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand apply" -l no-input -d 'Never prompt; fail with exit 4 where an answer would be needed (also CHANGESET_NO_INPUT or CI)'
complete -c changeset -n "__fish_changeset_using_subcommand apply" -s y -l yes -d 'Approve without asking, but never above the rules\' auto_approve_max_tier'
complete -c changeset -n "__fish_changeset_using_subcommand apply" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand apply" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c changeset -n "__fish_changeset_using_subcommand rollback" -s o -l out -d 'Only save the inverse plan to this file instead of applying it now' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand rollback" -l approval -d 'How to ask for approval (default: ciba when Auth0 is configured, else tty)' -r -f -a "tty\t'Ask at this terminal'
ciba\t'Auth0 CIBA push to the approver\'s device'"
complete -c changeset -n "__fish_changeset_using_subcommand rollback" -l source -d 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`' -r
complete -c changeset -n "__fish_changeset_using_subcommand rollback" -l rules -d 'Rules file (default: the embedded rules/default.toml)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand rollback" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand rollback" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand rollback" -l no-input -d 'Never prompt; fail with exit 4 where an answer would be needed (also CHANGESET_NO_INPUT or CI)'
complete -c changeset -n "__fish_changeset_using_subcommand rollback" -s y -l yes -d 'Approve without asking, but never above the rules\' auto_approve_max_tier'
complete -c changeset -n "__fish_changeset_using_subcommand rollback" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand rollback" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand rollback" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c changeset -n "__fish_changeset_using_subcommand recover" -l source -d 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`' -r
complete -c changeset -n "__fish_changeset_using_subcommand recover" -l rules -d 'Rules file (default: the embedded rules/default.toml)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand recover" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand recover" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand recover" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand recover" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand recover" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and not __fish_seen_subcommand_from list show verify keygen checkpoint prove migrate export help" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand audit; and not __fish_seen_subcommand_from list show verify keygen checkpoint prove migrate export help" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and not __fish_seen_subcommand_from list show verify keygen checkpoint prove migrate export help" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and not __fish_seen_subcommand_from list show verify keygen checkpoint prove migrate export help" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and not __fish_seen_subcommand_from list show verify keygen checkpoint prove migrate export help" -f -a "list" -d 'List the receipts, newest last'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and not __fish_seen_subcommand_from list show verify keygen checkpoint prove migrate export help" -f -a "show" -d 'Show one receipt as a timeline (the raw receipt with --format json)'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and not __fish_seen_subcommand_from list show verify keygen checkpoint prove migrate export help" -f -a "verify" -d 'Recompute every receipt hash and the chain; exit 1 naming the first bad receipt'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and not __fish_seen_subcommand_from list show verify keygen checkpoint prove migrate export help" -f -a "keygen" -d 'Create the Ed25519 key that signs checkpoints; prints its public (verifier) key'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and not __fish_seen_subcommand_from list show verify keygen checkpoint prove migrate export help" -f -a "checkpoint" -d 'Print the log\'s signed checkpoint (tree size and Merkle root; C2SP tlog-checkpoint)'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and not __fish_seen_subcommand_from list show verify keygen checkpoint prove migrate export help" -f -a "prove" -d 'Print an inclusion proof (JSON) that a receipt is in the log'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and not __fish_seen_subcommand_from list show verify keygen checkpoint prove migrate export help" -f -a "migrate" -d 'Copy this machine\'s audit log (audit.db) into an empty shared PostgreSQL log'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and not __fish_seen_subcommand_from list show verify keygen checkpoint prove migrate export help" -f -a "export" -d 'Write every receipt as JSON Lines (stdout, or a file)'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and not __fish_seen_subcommand_from list show verify keygen checkpoint prove migrate export help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from list" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from list" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from list" -l gate -d 'The gate\'s receipts (GET /v1/receipts) instead of this machine\'s audit store'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from show" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from show" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from show" -l gate -d 'Fetch the receipt from the gate (GET /v1/receipts/ID); its signature is shown'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from verify" -l receipt -d 'Check one exported receipt file instead of the store (no account needed)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from verify" -l proof -d 'With --receipt: an inclusion proof from `audit prove` (needs --checkpoint, --key)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from verify" -l checkpoint -d 'A signed checkpoint from `audit checkpoint` that the log must extend' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from verify" -l key -d 'The log\'s public key (the `.pub` file `audit keygen` wrote); with --receipt alone, the gate\'s key (`gate keygen`): the receipt\'s signature must verify with it' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from verify" -l require-rules -d 'Also fail unless every receipt was scored under one of these rules files (SHA-256 of the file, as `rules check` prints it; `sha256:` prefix optional)' -r
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from verify" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from verify" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from verify" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from keygen" -l name -d 'The key\'s name, also the checkpoints\' origin line (e.g. example.com/catalog-audit)' -r
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from keygen" -s o -l out -d 'Where to write the key (0600) and, beside it, `<FILE>.pub` [default: CHANGESET_AUDIT_SIGNING_KEY, else audit-signing.key in the data directory]' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from keygen" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from keygen" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from keygen" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from keygen" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from prove" -l size -d 'Prove against the log\'s first N receipts (a checkpoint\'s size) [default: all]' -r
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from prove" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from prove" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from prove" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from prove" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from migrate" -l to -d 'The PostgreSQL URL to copy into (postgres://USER@HOST/DATABASE[?sslmode=require])' -r
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from migrate" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from migrate" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from migrate" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from migrate" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from migrate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from export" -s o -l out -d 'Write to this file instead of stdout' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from export" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from export" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from export" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the receipts, newest last'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one receipt as a timeline (the raw receipt with --format json)'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Recompute every receipt hash and the chain; exit 1 naming the first bad receipt'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "keygen" -d 'Create the Ed25519 key that signs checkpoints; prints its public (verifier) key'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "checkpoint" -d 'Print the log\'s signed checkpoint (tree size and Merkle root; C2SP tlog-checkpoint)'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "prove" -d 'Print an inclusion proof (JSON) that a receipt is in the log'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "migrate" -d 'Copy this machine\'s audit log (audit.db) into an empty shared PostgreSQL log'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write every receipt as JSON Lines (stdout, or a file)'
complete -c changeset -n "__fish_changeset_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and not __fish_seen_subcommand_from check test explain bench help" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand rules; and not __fish_seen_subcommand_from check test explain bench help" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and not __fish_seen_subcommand_from check test explain bench help" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and not __fish_seen_subcommand_from check test explain bench help" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and not __fish_seen_subcommand_from check test explain bench help" -f -a "check" -d 'Lint a rules file (default: the active one)'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and not __fish_seen_subcommand_from check test explain bench help" -f -a "test" -d 'Run the rules\' test cases (DIR/*.toml)'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and not __fish_seen_subcommand_from check test explain bench help" -f -a "explain" -d 'Show every rule\'s result, matched or not, for one set of facts'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and not __fish_seen_subcommand_from check test explain bench help" -f -a "bench" -d 'Time the evaluator on a JSON Lines file of facts (same output keys as the peer benchmark)'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and not __fish_seen_subcommand_from check test explain bench help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from check" -l rules -d 'Rules file (default: the embedded rules/default.toml)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from check" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from check" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from test" -l rules -d 'Rules file (default: the embedded rules/default.toml)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from test" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from test" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from test" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from test" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from explain" -l facts -d 'The facts as a JSON object' -r
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from explain" -l plan -d 'Take the facts of one operation of a saved plan' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from explain" -l op -d 'Operation number in the plan (1-based)' -r
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from explain" -l rules -d 'Rules file (default: the embedded rules/default.toml)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from explain" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from explain" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from explain" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from explain" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from explain" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from bench" -l facts -d 'JSON Lines, one object of facts per line (e.g. from the peer benchmark\'s gen-facts.js)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from bench" -l engine -d 'Which evaluator to time' -r -f -a "compiled\t'The compiled evaluator that plan and apply use'
evalexpr\t'evalexpr\'s own evaluator with a fresh context per record (the baseline)'"
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from bench" -l rules -d 'Rules file (default: the embedded rules/default.toml)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from bench" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from bench" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from bench" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from bench" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from bench" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "check" -d 'Lint a rules file (default: the active one)'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "test" -d 'Run the rules\' test cases (DIR/*.toml)'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "explain" -d 'Show every rule\'s result, matched or not, for one set of facts'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "bench" -d 'Time the evaluator on a JSON Lines file of facts (same output keys as the peer benchmark)'
complete -c changeset -n "__fish_changeset_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and not __fish_seen_subcommand_from status cancel check-config serve keygen help" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand gate; and not __fish_seen_subcommand_from status cancel check-config serve keygen help" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and not __fish_seen_subcommand_from status cancel check-config serve keygen help" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and not __fish_seen_subcommand_from status cancel check-config serve keygen help" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and not __fish_seen_subcommand_from status cancel check-config serve keygen help" -f -a "status" -d 'Show where an apply sent to the gate is: approvers, time left, receipt (gate mode)'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and not __fish_seen_subcommand_from status cancel check-config serve keygen help" -f -a "cancel" -d 'Cancel an apply that is still waiting for approval at the gate (gate mode)'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and not __fish_seen_subcommand_from status cancel check-config serve keygen help" -f -a "check-config" -d 'Check gate.toml offline (rules pin, approver policy, credentials, signing key); exit 1 listing every problem as FILE:LINE'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and not __fish_seen_subcommand_from status cancel check-config serve keygen help" -f -a "serve" -d 'Run the gate\'s HTTP service until SIGTERM or Ctrl-C (requests in flight are finished)'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and not __fish_seen_subcommand_from status cancel check-config serve keygen help" -f -a "keygen" -d 'Create the gate\'s Ed25519 key that signs receipts and checkpoints; prints its public key'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and not __fish_seen_subcommand_from status cancel check-config serve keygen help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from status" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from status" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from status" -l wait -d 'Wait until the apply is final, with a spinner showing approvers and time left'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from cancel" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from cancel" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from cancel" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from cancel" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from cancel" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from check-config" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from check-config" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from check-config" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from check-config" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from check-config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from serve" -l listen -d 'Address to listen on (port 0 picks a free port; the bound address is printed)' -r
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from serve" -l tls-cert -d 'Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from serve" -l tls-key -d 'The PEM private key of --tls-cert (readable by its owner only)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from serve" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from serve" -l allow-plain-http -d 'Serve plain HTTP on a non-loopback address (only behind a TLS-terminating proxy)'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from serve" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from serve" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from keygen" -l name -d 'The key\'s name (signed-note key name, e.g. gate.example.com/changeset)' -r
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from keygen" -s o -l out -d 'Where to write the key (0600) and, beside it, `<FILE>.pub`' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from keygen" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from keygen" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from keygen" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from keygen" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show where an apply sent to the gate is: approvers, time left, receipt (gate mode)'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from help" -f -a "cancel" -d 'Cancel an apply that is still waiting for approval at the gate (gate mode)'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from help" -f -a "check-config" -d 'Check gate.toml offline (rules pin, approver policy, credentials, signing key); exit 1 listing every problem as FILE:LINE'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from help" -f -a "serve" -d 'Run the gate\'s HTTP service until SIGTERM or Ctrl-C (requests in flight are finished)'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from help" -f -a "keygen" -d 'Create the gate\'s Ed25519 key that signs receipts and checkpoints; prints its public key'
complete -c changeset -n "__fish_changeset_using_subcommand gate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c changeset -n "__fish_changeset_using_subcommand show" -l source -d 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`' -r
complete -c changeset -n "__fish_changeset_using_subcommand show" -l rules -d 'Rules file (default: the embedded rules/default.toml)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand show" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand show" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand show" -l offline -d 'Do not read the source or the rules: render the plan only, freshness unchecked'
complete -c changeset -n "__fish_changeset_using_subcommand show" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand show" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c changeset -n "__fish_changeset_using_subcommand doctor" -l source -d 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`' -r
complete -c changeset -n "__fish_changeset_using_subcommand doctor" -l rules -d 'Rules file (default: the embedded rules/default.toml)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand doctor" -l format -d 'Output format on stdout' -r -f -a "text\t''
json\t''"
complete -c changeset -n "__fish_changeset_using_subcommand doctor" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand doctor" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand doctor" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c changeset -n "__fish_changeset_using_subcommand completions" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand completions" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand completions" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand completions" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand man" -l out-dir -d 'Write every page (changeset.1, changeset-plan.1, ...) into this directory instead' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand man" -l config -d 'Config file (default: changeset.toml in the data directory, if present)' -r -F
complete -c changeset -n "__fish_changeset_using_subcommand man" -s q -l quiet -d 'Print less on stderr'
complete -c changeset -n "__fish_changeset_using_subcommand man" -s v -l verbose -d 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
complete -c changeset -n "__fish_changeset_using_subcommand man" -s h -l help -d 'Print help'
complete -c changeset -n "__fish_changeset_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami plan apply rollback recover audit rules gate show doctor completions man help" -f -a "login" -d 'Sign in with the Auth0 device flow and store the refresh token'
complete -c changeset -n "__fish_changeset_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami plan apply rollback recover audit rules gate show doctor completions man help" -f -a "logout" -d 'Revoke the refresh token and delete it from the credential store'
complete -c changeset -n "__fish_changeset_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami plan apply rollback recover audit rules gate show doctor completions man help" -f -a "whoami" -d 'Show the signed-in user, tenant, token expiry and credential store'
complete -c changeset -n "__fish_changeset_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami plan apply rollback recover audit rules gate show doctor completions man help" -f -a "plan" -d 'Read the source, parse the request and score it; never writes the source'
complete -c changeset -n "__fish_changeset_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami plan apply rollback recover audit rules gate show doctor completions man help" -f -a "apply" -d 'Apply a saved plan file, or plan and apply a request in one step'
complete -c changeset -n "__fish_changeset_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami plan apply rollback recover audit rules gate show doctor completions man help" -f -a "rollback" -d 'Plan the inverse of an applied changeset, then approve and apply it like any plan'
complete -c changeset -n "__fish_changeset_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami plan apply rollback recover audit rules gate show doctor completions man help" -f -a "recover" -d 'Finish or undo an apply that was interrupted'
complete -c changeset -n "__fish_changeset_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami plan apply rollback recover audit rules gate show doctor completions man help" -f -a "audit" -d 'Read and verify the receipts in the audit store'
complete -c changeset -n "__fish_changeset_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami plan apply rollback recover audit rules gate show doctor completions man help" -f -a "rules" -d 'Lint, test, explain and benchmark the rules file'
complete -c changeset -n "__fish_changeset_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami plan apply rollback recover audit rules gate show doctor completions man help" -f -a "gate" -d 'The approval gate: a service that holds the rules, approvers and confidential clients'
complete -c changeset -n "__fish_changeset_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami plan apply rollback recover audit rules gate show doctor completions man help" -f -a "show" -d 'Render a saved plan as `plan` printed it, and say whether it is still fresh'
complete -c changeset -n "__fish_changeset_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami plan apply rollback recover audit rules gate show doctor completions man help" -f -a "doctor" -d 'Check every configured part (config, data directory, credential store, Auth0, Token Vault, source, rules, Gmail, gate) and say how to fix what is broken'
complete -c changeset -n "__fish_changeset_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami plan apply rollback recover audit rules gate show doctor completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c changeset -n "__fish_changeset_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami plan apply rollback recover audit rules gate show doctor completions man help" -f -a "man" -d 'Print the man page (roff) of changeset or of one of its commands'
complete -c changeset -n "__fish_changeset_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami plan apply rollback recover audit rules gate show doctor completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c changeset -n "__fish_changeset_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "list" -d 'List the receipts, newest last'
complete -c changeset -n "__fish_changeset_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "show" -d 'Show one receipt as a timeline (the raw receipt with --format json)'
complete -c changeset -n "__fish_changeset_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "verify" -d 'Recompute every receipt hash and the chain; exit 1 naming the first bad receipt'
complete -c changeset -n "__fish_changeset_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "keygen" -d 'Create the Ed25519 key that signs checkpoints; prints its public (verifier) key'
complete -c changeset -n "__fish_changeset_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "checkpoint" -d 'Print the log\'s signed checkpoint (tree size and Merkle root; C2SP tlog-checkpoint)'
complete -c changeset -n "__fish_changeset_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "prove" -d 'Print an inclusion proof (JSON) that a receipt is in the log'
complete -c changeset -n "__fish_changeset_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "migrate" -d 'Copy this machine\'s audit log (audit.db) into an empty shared PostgreSQL log'
complete -c changeset -n "__fish_changeset_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "export" -d 'Write every receipt as JSON Lines (stdout, or a file)'
complete -c changeset -n "__fish_changeset_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "check" -d 'Lint a rules file (default: the active one)'
complete -c changeset -n "__fish_changeset_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "test" -d 'Run the rules\' test cases (DIR/*.toml)'
complete -c changeset -n "__fish_changeset_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "explain" -d 'Show every rule\'s result, matched or not, for one set of facts'
complete -c changeset -n "__fish_changeset_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "bench" -d 'Time the evaluator on a JSON Lines file of facts (same output keys as the peer benchmark)'
complete -c changeset -n "__fish_changeset_using_subcommand help; and __fish_seen_subcommand_from gate" -f -a "status" -d 'Show where an apply sent to the gate is: approvers, time left, receipt (gate mode)'
complete -c changeset -n "__fish_changeset_using_subcommand help; and __fish_seen_subcommand_from gate" -f -a "cancel" -d 'Cancel an apply that is still waiting for approval at the gate (gate mode)'
complete -c changeset -n "__fish_changeset_using_subcommand help; and __fish_seen_subcommand_from gate" -f -a "check-config" -d 'Check gate.toml offline (rules pin, approver policy, credentials, signing key); exit 1 listing every problem as FILE:LINE'
complete -c changeset -n "__fish_changeset_using_subcommand help; and __fish_seen_subcommand_from gate" -f -a "serve" -d 'Run the gate\'s HTTP service until SIGTERM or Ctrl-C (requests in flight are finished)'
complete -c changeset -n "__fish_changeset_using_subcommand help; and __fish_seen_subcommand_from gate" -f -a "keygen" -d 'Create the gate\'s Ed25519 key that signs receipts and checkpoints; prints its public key'

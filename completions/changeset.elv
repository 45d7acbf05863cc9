
use builtin;
use str;

set edit:completion:arg-completer[changeset] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'changeset'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'changeset'= {
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand login 'Sign in with the Auth0 device flow and store the refresh token'
            cand logout 'Revoke the refresh token and delete it from the credential store'
            cand whoami 'Show the signed-in user, tenant, token expiry and credential store'
            cand plan 'Read the source, parse the request and score it; never writes the source'
            cand apply 'Apply a saved plan file, or plan and apply a request in one step'
            cand rollback 'Plan the inverse of an applied changeset, then approve and apply it like any plan'
            cand recover 'Finish or undo an apply that was interrupted'
            cand audit 'Read and verify the receipts in the audit store'
            cand rules 'Lint, test, explain and benchmark the rules file'
            cand gate 'The approval gate: a service that holds the rules, approvers and confidential clients'
            cand show 'Render a saved plan as `plan` printed it, and say whether it is still fresh'
            cand doctor 'Check every configured part (config, data directory, credential store, Auth0, Token Vault, source, rules, Gmail, gate) and say how to fix what is broken'
            cand completions 'Print a shell completion script'
            cand man 'Print the man page (roff) of changeset or of one of its commands'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'changeset;login'= {
            cand --credential-store 'Where to keep the refresh token (default: the OS keychain when one works)'
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand --no-browser 'Do not try to open a browser; just print the URL and code'
            cand --qr 'Also print a QR code of the verification URL'
            cand --no-input 'Never prompt; fail with exit 4 where an answer would be needed (also CHANGESET_NO_INPUT or CI)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'changeset;logout'= {
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'changeset;whoami'= {
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'changeset;plan'= {
            cand -o 'Also save the plan to this file, for `changeset apply FILE`'
            cand --out 'Also save the plan to this file, for `changeset apply FILE`'
            cand --parser 'How to read the request'
            cand --source 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`'
            cand --rules 'Rules file (default: the embedded rules/default.toml)'
            cand --format 'Output format on stdout'
            cand --fact 'A fact you measured, for the rules (repeatable): only facts changeset does not derive'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand --detailed-exitcode 'Exit 10 (instead of 0) when the plan has changes'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'changeset;apply'= {
            cand --approval 'How to ask for approval (default: ciba when Auth0 is configured, else tty)'
            cand --wait 'Give up waiting for an out-of-band approval after this many seconds'
            cand --parser 'How to read the request (when applying a request directly)'
            cand --source 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`'
            cand --rules 'Rules file (default: the embedded rules/default.toml)'
            cand --format 'Output format on stdout'
            cand --fact 'A fact you measured, for the rules (repeatable): only facts changeset does not derive'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand --no-input 'Never prompt; fail with exit 4 where an answer would be needed (also CHANGESET_NO_INPUT or CI)'
            cand -y 'Approve without asking, but never above the rules'' auto_approve_max_tier'
            cand --yes 'Approve without asking, but never above the rules'' auto_approve_max_tier'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'changeset;rollback'= {
            cand -o 'Only save the inverse plan to this file instead of applying it now'
            cand --out 'Only save the inverse plan to this file instead of applying it now'
            cand --approval 'How to ask for approval (default: ciba when Auth0 is configured, else tty)'
            cand --source 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`'
            cand --rules 'Rules file (default: the embedded rules/default.toml)'
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand --no-input 'Never prompt; fail with exit 4 where an answer would be needed (also CHANGESET_NO_INPUT or CI)'
            cand -y 'Approve without asking, but never above the rules'' auto_approve_max_tier'
            cand --yes 'Approve without asking, but never above the rules'' auto_approve_max_tier'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'changeset;recover'= {
            cand --source 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`'
            cand --rules 'Rules file (default: the embedded rules/default.toml)'
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'changeset;audit'= {
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand list 'List the receipts, newest last'
            cand show 'Show one receipt as a timeline (the raw receipt with --format json)'
            cand verify 'Recompute every receipt hash and the chain; exit 1 naming the first bad receipt'
            cand keygen 'Create the Ed25519 key that signs checkpoints; prints its public (verifier) key'
            cand checkpoint 'Print the log''s signed checkpoint (tree size and Merkle root; C2SP tlog-checkpoint)'
            cand prove 'Print an inclusion proof (JSON) that a receipt is in the log'
            cand migrate 'Copy this machine''s audit log (audit.db) into an empty shared PostgreSQL log'
            cand export 'Write every receipt as JSON Lines (stdout, or a file)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'changeset;audit;list'= {
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand --gate 'The gate''s receipts (GET /v1/receipts) instead of this machine''s audit store'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'changeset;audit;show'= {
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand --gate 'Fetch the receipt from the gate (GET /v1/receipts/ID); its signature is shown'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'changeset;audit;verify'= {
            cand --receipt 'Check one exported receipt file instead of the store (no account needed)'
            cand --proof 'With --receipt: an inclusion proof from `audit prove` (needs --checkpoint, --key)'
            cand --checkpoint 'A signed checkpoint from `audit checkpoint` that the log must extend'
            cand --key 'The log''s public key (the `.pub` file `audit keygen` wrote); with --receipt alone, the gate''s key (`gate keygen`): the receipt''s signature must verify with it'
            cand --require-rules 'Also fail unless every receipt was scored under one of these rules files (SHA-256 of the file, as `rules check` prints it; `sha256:` prefix optional)'
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'changeset;audit;keygen'= {
            cand --name 'The key''s name, also the checkpoints'' origin line (e.g. example.com/catalog-audit)'
            cand -o 'Where to write the key (0600) and, beside it, `<FILE>.pub` [default: CHANGESET_AUDIT_SIGNING_KEY, else audit-signing.key in the data directory]'
            cand --out 'Where to write the key (0600) and, beside it, `<FILE>.pub` [default: CHANGESET_AUDIT_SIGNING_KEY, else audit-signing.key in the data directory]'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'changeset;audit;checkpoint'= {
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'changeset;audit;prove'= {
            cand --size 'Prove against the log''s first N receipts (a checkpoint''s size) [default: all]'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'changeset;audit;migrate'= {
            cand --to 'The PostgreSQL URL to copy into (postgres://USER@HOST/DATABASE[?sslmode=require])'
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'changeset;audit;export'= {
            cand -o 'Write to this file instead of stdout'
            cand --out 'Write to this file instead of stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'changeset;audit;help'= {
            cand list 'List the receipts, newest last'
            cand show 'Show one receipt as a timeline (the raw receipt with --format json)'
            cand verify 'Recompute every receipt hash and the chain; exit 1 naming the first bad receipt'
            cand keygen 'Create the Ed25519 key that signs checkpoints; prints its public (verifier) key'
            cand checkpoint 'Print the log''s signed checkpoint (tree size and Merkle root; C2SP tlog-checkpoint)'
            cand prove 'Print an inclusion proof (JSON) that a receipt is in the log'
            cand migrate 'Copy this machine''s audit log (audit.db) into an empty shared PostgreSQL log'
            cand export 'Write every receipt as JSON Lines (stdout, or a file)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'changeset;audit;help;list'= {
        }
        &'changeset;audit;help;show'= {
        }
        &'changeset;audit;help;verify'= {
        }
        &'changeset;audit;help;keygen'= {
        }
        &'changeset;audit;help;checkpoint'= {
        }
        &'changeset;audit;help;prove'= {
        }
        &'changeset;audit;help;migrate'= {
        }
        &'changeset;audit;help;export'= {
        }
        &'changeset;audit;help;help'= {
        }
        &'changeset;rules'= {
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand check 'Lint a rules file (default: the active one)'
            cand test 'Run the rules'' test cases (DIR/*.toml)'
            cand explain 'Show every rule''s result, matched or not, for one set of facts'
            cand bench 'Time the evaluator on a JSON Lines file of facts (same output keys as the peer benchmark)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'changeset;rules;check'= {
            cand --rules 'Rules file (default: the embedded rules/default.toml)'
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'changeset;rules;test'= {
            cand --rules 'Rules file (default: the embedded rules/default.toml)'
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'changeset;rules;explain'= {
            cand --facts 'The facts as a JSON object'
            cand --plan 'Take the facts of one operation of a saved plan'
            cand --op 'Operation number in the plan (1-based)'
            cand --rules 'Rules file (default: the embedded rules/default.toml)'
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'changeset;rules;bench'= {
            cand --facts 'JSON Lines, one object of facts per line (e.g. from the peer benchmark''s gen-facts.js)'
            cand --engine 'Which evaluator to time'
            cand --rules 'Rules file (default: the embedded rules/default.toml)'
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'changeset;rules;help'= {
            cand check 'Lint a rules file (default: the active one)'
            cand test 'Run the rules'' test cases (DIR/*.toml)'
            cand explain 'Show every rule''s result, matched or not, for one set of facts'
            cand bench 'Time the evaluator on a JSON Lines file of facts (same output keys as the peer benchmark)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'changeset;rules;help;check'= {
        }
        &'changeset;rules;help;test'= {
        }
        &'changeset;rules;help;explain'= {
        }
        &'changeset;rules;help;bench'= {
        }
        &'changeset;rules;help;help'= {
        }
        &'changeset;gate'= {
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand status 'Show where an apply sent to the gate is: approvers, time left, receipt (gate mode)'
            cand cancel 'Cancel an apply that is still waiting for approval at the gate (gate mode)'
            cand check-config 'Check gate.toml offline (rules pin, approver policy, credentials, signing key); exit 1 listing every problem as FILE:LINE'
            cand serve 'Run the gate''s HTTP service until SIGTERM or Ctrl-C (requests in flight are finished)'
            cand keygen 'Create the gate''s Ed25519 key that signs receipts and checkpoints; prints its public key'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'changeset;gate;status'= {
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand --wait 'Wait until the apply is final, with a spinner showing approvers and time left'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'changeset;gate;cancel'= {
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'changeset;gate;check-config'= {
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'changeset;gate;serve'= {
            cand --listen 'Address to listen on (port 0 picks a free port; the bound address is printed)'
            cand --tls-cert 'Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key'
            cand --tls-key 'The PEM private key of --tls-cert (readable by its owner only)'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand --allow-plain-http 'Serve plain HTTP on a non-loopback address (only behind a TLS-terminating proxy)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'changeset;gate;keygen'= {
            cand --name 'The key''s name (signed-note key name, e.g. gate.example.com/changeset)'
            cand -o 'Where to write the key (0600) and, beside it, `<FILE>.pub`'
            cand --out 'Where to write the key (0600) and, beside it, `<FILE>.pub`'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'changeset;gate;help'= {
            cand status 'Show where an apply sent to the gate is: approvers, time left, receipt (gate mode)'
            cand cancel 'Cancel an apply that is still waiting for approval at the gate (gate mode)'
            cand check-config 'Check gate.toml offline (rules pin, approver policy, credentials, signing key); exit 1 listing every problem as FILE:LINE'
            cand serve 'Run the gate''s HTTP service until SIGTERM or Ctrl-C (requests in flight are finished)'
            cand keygen 'Create the gate''s Ed25519 key that signs receipts and checkpoints; prints its public key'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'changeset;gate;help;status'= {
        }
        &'changeset;gate;help;cancel'= {
        }
        &'changeset;gate;help;check-config'= {
        }
        &'changeset;gate;help;serve'= {
        }
        &'changeset;gate;help;keygen'= {
        }
        &'changeset;gate;help;help'= {
        }
        &'changeset;show'= {
            cand --source 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`'
            cand --rules 'Rules file (default: the embedded rules/default.toml)'
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand --offline 'Do not read the source or the rules: render the plan only, freshness unchecked'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'changeset;doctor'= {
            cand --source 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`'
            cand --rules 'Rules file (default: the embedded rules/default.toml)'
            cand --format 'Output format on stdout'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'changeset;completions'= {
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'changeset;man'= {
            cand --out-dir 'Write every page (changeset.1, changeset-plan.1, ...) into this directory instead'
            cand --config 'Config file (default: changeset.toml in the data directory, if present)'
            cand -q 'Print less on stderr'
            cand --quiet 'Print less on stderr'
            cand -v 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand --verbose 'Print more on stderr (repeat for debug logs; secrets are always redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'changeset;help'= {
            cand login 'Sign in with the Auth0 device flow and store the refresh token'
            cand logout 'Revoke the refresh token and delete it from the credential store'
            cand whoami 'Show the signed-in user, tenant, token expiry and credential store'
            cand plan 'Read the source, parse the request and score it; never writes the source'
            cand apply 'Apply a saved plan file, or plan and apply a request in one step'
            cand rollback 'Plan the inverse of an applied changeset, then approve and apply it like any plan'
            cand recover 'Finish or undo an apply that was interrupted'
            cand audit 'Read and verify the receipts in the audit store'
            cand rules 'Lint, test, explain and benchmark the rules file'
            cand gate 'The approval gate: a service that holds the rules, approvers and confidential clients'
            cand show 'Render a saved plan as `plan` printed it, and say whether it is still fresh'
            cand doctor 'Check every configured part (config, data directory, credential store, Auth0, Token Vault, source, rules, Gmail, gate) and say how to fix what is broken'
            cand completions 'Print a shell completion script'
            cand man 'Print the man page (roff) of changeset or of one of its commands'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'changeset;help;login'= {
        }
        &'changeset;help;logout'= {
        }
        &'changeset;help;whoami'= {
        }
        &'changeset;help;plan'= {
        }
        &'changeset;help;apply'= {
        }
        &'changeset;help;rollback'= {
        }
        &'changeset;help;recover'= {
        }
        &'changeset;help;audit'= {
            cand list 'List the receipts, newest last'
            cand show 'Show one receipt as a timeline (the raw receipt with --format json)'
            cand verify 'Recompute every receipt hash and the chain; exit 1 naming the first bad receipt'
            cand keygen 'Create the Ed25519 key that signs checkpoints; prints its public (verifier) key'
            cand checkpoint 'Print the log''s signed checkpoint (tree size and Merkle root; C2SP tlog-checkpoint)'
            cand prove 'Print an inclusion proof (JSON) that a receipt is in the log'
            cand migrate 'Copy this machine''s audit log (audit.db) into an empty shared PostgreSQL log'
            cand export 'Write every receipt as JSON Lines (stdout, or a file)'
        }
        &'changeset;help;audit;list'= {
        }
        &'changeset;help;audit;show'= {
        }
        &'changeset;help;audit;verify'= {
        }
        &'changeset;help;audit;keygen'= {
        }
        &'changeset;help;audit;checkpoint'= {
        }
        &'changeset;help;audit;prove'= {
        }
        &'changeset;help;audit;migrate'= {
        }
        &'changeset;help;audit;export'= {
        }
        &'changeset;help;rules'= {
            cand check 'Lint a rules file (default: the active one)'
            cand test 'Run the rules'' test cases (DIR/*.toml)'
            cand explain 'Show every rule''s result, matched or not, for one set of facts'
            cand bench 'Time the evaluator on a JSON Lines file of facts (same output keys as the peer benchmark)'
        }
        &'changeset;help;rules;check'= {
        }
        &'changeset;help;rules;test'= {
        }
        &'changeset;help;rules;explain'= {
        }
        &'changeset;help;rules;bench'= {
        }
        &'changeset;help;gate'= {
            cand status 'Show where an apply sent to the gate is: approvers, time left, receipt (gate mode)'
            cand cancel 'Cancel an apply that is still waiting for approval at the gate (gate mode)'
            cand check-config 'Check gate.toml offline (rules pin, approver policy, credentials, signing key); exit 1 listing every problem as FILE:LINE'
            cand serve 'Run the gate''s HTTP service until SIGTERM or Ctrl-C (requests in flight are finished)'
            cand keygen 'Create the gate''s Ed25519 key that signs receipts and checkpoints; prints its public key'
        }
        &'changeset;help;gate;status'= {
        }
        &'changeset;help;gate;cancel'= {
        }
        &'changeset;help;gate;check-config'= {
        }
        &'changeset;help;gate;serve'= {
        }
        &'changeset;help;gate;keygen'= {
        }
        &'changeset;help;show'= {
        }
        &'changeset;help;doctor'= {
        }
        &'changeset;help;completions'= {
        }
        &'changeset;help;man'= {
        }
        &'changeset;help;help'= {
        }
    ]
    $completions[$command]
}

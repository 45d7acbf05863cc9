
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'changeset' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'changeset'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'changeset' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in with the Auth0 device flow and store the refresh token')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Revoke the refresh token and delete it from the credential store')
            [CompletionResult]::new('whoami', 'whoami', [CompletionResultType]::ParameterValue, 'Show the signed-in user, tenant, token expiry and credential store')
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Read the source, parse the request and score it; never writes the source')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Apply a saved plan file, or plan and apply a request in one step')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Plan the inverse of an applied changeset, then approve and apply it like any plan')
            [CompletionResult]::new('recover', 'recover', [CompletionResultType]::ParameterValue, 'Finish or undo an apply that was interrupted')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Read and verify the receipts in the audit store')
            [CompletionResult]::new('rules', 'rules', [CompletionResultType]::ParameterValue, 'Lint, test, explain and benchmark the rules file')
            [CompletionResult]::new('gate', 'gate', [CompletionResultType]::ParameterValue, 'The approval gate: a service that holds the rules, approvers and confidential clients')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Render a saved plan as `plan` printed it, and say whether it is still fresh')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check every configured part (config, data directory, credential store, Auth0, Token Vault, source, rules, Gmail, gate) and say how to fix what is broken')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff) of changeset or of one of its commands')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'changeset;login' {
            [CompletionResult]::new('--credential-store', '--credential-store', [CompletionResultType]::ParameterName, 'Where to keep the refresh token (default: the OS keychain when one works)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Do not try to open a browser; just print the URL and code')
            [CompletionResult]::new('--qr', '--qr', [CompletionResultType]::ParameterName, 'Also print a QR code of the verification URL')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with exit 4 where an answer would be needed (also CHANGESET_NO_INPUT or CI)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'changeset;logout' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'changeset;whoami' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'changeset;plan' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Also save the plan to this file, for `changeset apply FILE`')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Also save the plan to this file, for `changeset apply FILE`')
            [CompletionResult]::new('--parser', '--parser', [CompletionResultType]::ParameterName, 'How to read the request')
            [CompletionResult]::new('--source', '--source', [CompletionResultType]::ParameterName, 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`')
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rules file (default: the embedded rules/default.toml)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--fact', '--fact', [CompletionResultType]::ParameterName, 'A fact you measured, for the rules (repeatable): only facts changeset does not derive')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('--detailed-exitcode', '--detailed-exitcode', [CompletionResultType]::ParameterName, 'Exit 10 (instead of 0) when the plan has changes')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'changeset;apply' {
            [CompletionResult]::new('--approval', '--approval', [CompletionResultType]::ParameterName, 'How to ask for approval (default: ciba when Auth0 is configured, else tty)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Give up waiting for an out-of-band approval after this many seconds')
            [CompletionResult]::new('--parser', '--parser', [CompletionResultType]::ParameterName, 'How to read the request (when applying a request directly)')
            [CompletionResult]::new('--source', '--source', [CompletionResultType]::ParameterName, 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`')
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rules file (default: the embedded rules/default.toml)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--fact', '--fact', [CompletionResultType]::ParameterName, 'A fact you measured, for the rules (repeatable): only facts changeset does not derive')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with exit 4 where an answer would be needed (also CHANGESET_NO_INPUT or CI)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Approve without asking, but never above the rules'' auto_approve_max_tier')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Approve without asking, but never above the rules'' auto_approve_max_tier')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'changeset;rollback' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Only save the inverse plan to this file instead of applying it now')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Only save the inverse plan to this file instead of applying it now')
            [CompletionResult]::new('--approval', '--approval', [CompletionResultType]::ParameterName, 'How to ask for approval (default: ciba when Auth0 is configured, else tty)')
            [CompletionResult]::new('--source', '--source', [CompletionResultType]::ParameterName, 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`')
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rules file (default: the embedded rules/default.toml)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with exit 4 where an answer would be needed (also CHANGESET_NO_INPUT or CI)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Approve without asking, but never above the rules'' auto_approve_max_tier')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Approve without asking, but never above the rules'' auto_approve_max_tier')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'changeset;recover' {
            [CompletionResult]::new('--source', '--source', [CompletionResultType]::ParameterName, 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`')
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rules file (default: the embedded rules/default.toml)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'changeset;audit' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the receipts, newest last')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one receipt as a timeline (the raw receipt with --format json)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Recompute every receipt hash and the chain; exit 1 naming the first bad receipt')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Create the Ed25519 key that signs checkpoints; prints its public (verifier) key')
            [CompletionResult]::new('checkpoint', 'checkpoint', [CompletionResultType]::ParameterValue, 'Print the log''s signed checkpoint (tree size and Merkle root; C2SP tlog-checkpoint)')
            [CompletionResult]::new('prove', 'prove', [CompletionResultType]::ParameterValue, 'Print an inclusion proof (JSON) that a receipt is in the log')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Copy this machine''s audit log (audit.db) into an empty shared PostgreSQL log')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write every receipt as JSON Lines (stdout, or a file)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'changeset;audit;list' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('--gate', '--gate', [CompletionResultType]::ParameterName, 'The gate''s receipts (GET /v1/receipts) instead of this machine''s audit store')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'changeset;audit;show' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('--gate', '--gate', [CompletionResultType]::ParameterName, 'Fetch the receipt from the gate (GET /v1/receipts/ID); its signature is shown')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'changeset;audit;verify' {
            [CompletionResult]::new('--receipt', '--receipt', [CompletionResultType]::ParameterName, 'Check one exported receipt file instead of the store (no account needed)')
            [CompletionResult]::new('--proof', '--proof', [CompletionResultType]::ParameterName, 'With --receipt: an inclusion proof from `audit prove` (needs --checkpoint, --key)')
            [CompletionResult]::new('--checkpoint', '--checkpoint', [CompletionResultType]::ParameterName, 'A signed checkpoint from `audit checkpoint` that the log must extend')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The log''s public key (the `.pub` file `audit keygen` wrote); with --receipt alone, the gate''s key (`gate keygen`): the receipt''s signature must verify with it')
            [CompletionResult]::new('--require-rules', '--require-rules', [CompletionResultType]::ParameterName, 'Also fail unless every receipt was scored under one of these rules files (SHA-256 of the file, as `rules check` prints it; `sha256:` prefix optional)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'changeset;audit;keygen' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The key''s name, also the checkpoints'' origin line (e.g. example.com/catalog-audit)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write the key (0600) and, beside it, `<FILE>.pub` [default: CHANGESET_AUDIT_SIGNING_KEY, else audit-signing.key in the data directory]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write the key (0600) and, beside it, `<FILE>.pub` [default: CHANGESET_AUDIT_SIGNING_KEY, else audit-signing.key in the data directory]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'changeset;audit;checkpoint' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'changeset;audit;prove' {
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Prove against the log''s first N receipts (a checkpoint''s size) [default: all]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'changeset;audit;migrate' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The PostgreSQL URL to copy into (postgres://USER@HOST/DATABASE[?sslmode=require])')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'changeset;audit;export' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write to this file instead of stdout')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write to this file instead of stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'changeset;audit;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the receipts, newest last')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one receipt as a timeline (the raw receipt with --format json)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Recompute every receipt hash and the chain; exit 1 naming the first bad receipt')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Create the Ed25519 key that signs checkpoints; prints its public (verifier) key')
            [CompletionResult]::new('checkpoint', 'checkpoint', [CompletionResultType]::ParameterValue, 'Print the log''s signed checkpoint (tree size and Merkle root; C2SP tlog-checkpoint)')
            [CompletionResult]::new('prove', 'prove', [CompletionResultType]::ParameterValue, 'Print an inclusion proof (JSON) that a receipt is in the log')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Copy this machine''s audit log (audit.db) into an empty shared PostgreSQL log')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write every receipt as JSON Lines (stdout, or a file)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'changeset;audit;help;list' {
            break
        }
        'changeset;audit;help;show' {
            break
        }
        'changeset;audit;help;verify' {
            break
        }
        'changeset;audit;help;keygen' {
            break
        }
        'changeset;audit;help;checkpoint' {
            break
        }
        'changeset;audit;help;prove' {
            break
        }
        'changeset;audit;help;migrate' {
            break
        }
        'changeset;audit;help;export' {
            break
        }
        'changeset;audit;help;help' {
            break
        }
        'changeset;rules' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Lint a rules file (default: the active one)')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run the rules'' test cases (DIR/*.toml)')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Show every rule''s result, matched or not, for one set of facts')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Time the evaluator on a JSON Lines file of facts (same output keys as the peer benchmark)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'changeset;rules;check' {
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rules file (default: the embedded rules/default.toml)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'changeset;rules;test' {
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rules file (default: the embedded rules/default.toml)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'changeset;rules;explain' {
            [CompletionResult]::new('--facts', '--facts', [CompletionResultType]::ParameterName, 'The facts as a JSON object')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Take the facts of one operation of a saved plan')
            [CompletionResult]::new('--op', '--op', [CompletionResultType]::ParameterName, 'Operation number in the plan (1-based)')
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rules file (default: the embedded rules/default.toml)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'changeset;rules;bench' {
            [CompletionResult]::new('--facts', '--facts', [CompletionResultType]::ParameterName, 'JSON Lines, one object of facts per line (e.g. from the peer benchmark''s gen-facts.js)')
            [CompletionResult]::new('--engine', '--engine', [CompletionResultType]::ParameterName, 'Which evaluator to time')
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rules file (default: the embedded rules/default.toml)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'changeset;rules;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Lint a rules file (default: the active one)')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run the rules'' test cases (DIR/*.toml)')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Show every rule''s result, matched or not, for one set of facts')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Time the evaluator on a JSON Lines file of facts (same output keys as the peer benchmark)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'changeset;rules;help;check' {
            break
        }
        'changeset;rules;help;test' {
            break
        }
        'changeset;rules;help;explain' {
            break
        }
        'changeset;rules;help;bench' {
            break
        }
        'changeset;rules;help;help' {
            break
        }
        'changeset;gate' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show where an apply sent to the gate is: approvers, time left, receipt (gate mode)')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel an apply that is still waiting for approval at the gate (gate mode)')
            [CompletionResult]::new('check-config', 'check-config', [CompletionResultType]::ParameterValue, 'Check gate.toml offline (rules pin, approver policy, credentials, signing key); exit 1 listing every problem as FILE:LINE')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the gate''s HTTP service until SIGTERM or Ctrl-C (requests in flight are finished)')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Create the gate''s Ed25519 key that signs receipts and checkpoints; prints its public key')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'changeset;gate;status' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until the apply is final, with a spinner showing approvers and time left')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'changeset;gate;cancel' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'changeset;gate;check-config' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'changeset;gate;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on (port 0 picks a free port; the bound address is printed)')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'The PEM private key of --tls-cert (readable by its owner only)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('--allow-plain-http', '--allow-plain-http', [CompletionResultType]::ParameterName, 'Serve plain HTTP on a non-loopback address (only behind a TLS-terminating proxy)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'changeset;gate;keygen' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The key''s name (signed-note key name, e.g. gate.example.com/changeset)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write the key (0600) and, beside it, `<FILE>.pub`')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write the key (0600) and, beside it, `<FILE>.pub`')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'changeset;gate;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show where an apply sent to the gate is: approvers, time left, receipt (gate mode)')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel an apply that is still waiting for approval at the gate (gate mode)')
            [CompletionResult]::new('check-config', 'check-config', [CompletionResultType]::ParameterValue, 'Check gate.toml offline (rules pin, approver policy, credentials, signing key); exit 1 listing every problem as FILE:LINE')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the gate''s HTTP service until SIGTERM or Ctrl-C (requests in flight are finished)')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Create the gate''s Ed25519 key that signs receipts and checkpoints; prints its public key')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'changeset;gate;help;status' {
            break
        }
        'changeset;gate;help;cancel' {
            break
        }
        'changeset;gate;help;check-config' {
            break
        }
        'changeset;gate;help;serve' {
            break
        }
        'changeset;gate;help;keygen' {
            break
        }
        'changeset;gate;help;help' {
            break
        }
        'changeset;show' {
            [CompletionResult]::new('--source', '--source', [CompletionResultType]::ParameterName, 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`')
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rules file (default: the embedded rules/default.toml)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Do not read the source or the rules: render the plan only, freshness unchecked')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'changeset;doctor' {
            [CompletionResult]::new('--source', '--source', [CompletionResultType]::ParameterName, 'Catalog source: a CSV path or `sheets:<spreadsheet-id>[/<tab>]`')
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rules file (default: the embedded rules/default.toml)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'changeset;completions' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'changeset;man' {
            [CompletionResult]::new('--out-dir', '--out-dir', [CompletionResultType]::ParameterName, 'Write every page (changeset.1, changeset-plan.1, ...) into this directory instead')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (default: changeset.toml in the data directory, if present)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more on stderr (repeat for debug logs; secrets are always redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'changeset;help' {
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in with the Auth0 device flow and store the refresh token')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Revoke the refresh token and delete it from the credential store')
            [CompletionResult]::new('whoami', 'whoami', [CompletionResultType]::ParameterValue, 'Show the signed-in user, tenant, token expiry and credential store')
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Read the source, parse the request and score it; never writes the source')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Apply a saved plan file, or plan and apply a request in one step')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Plan the inverse of an applied changeset, then approve and apply it like any plan')
            [CompletionResult]::new('recover', 'recover', [CompletionResultType]::ParameterValue, 'Finish or undo an apply that was interrupted')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Read and verify the receipts in the audit store')
            [CompletionResult]::new('rules', 'rules', [CompletionResultType]::ParameterValue, 'Lint, test, explain and benchmark the rules file')
            [CompletionResult]::new('gate', 'gate', [CompletionResultType]::ParameterValue, 'The approval gate: a service that holds the rules, approvers and confidential clients')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Render a saved plan as `plan` printed it, and say whether it is still fresh')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check every configured part (config, data directory, credential store, Auth0, Token Vault, source, rules, Gmail, gate) and say how to fix what is broken')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff) of changeset or of one of its commands')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'changeset;help;login' {
            break
        }
        'changeset;help;logout' {
            break
        }
        'changeset;help;whoami' {
            break
        }
        'changeset;help;plan' {
            break
        }
        'changeset;help;apply' {
            break
        }
        'changeset;help;rollback' {
            break
        }
        'changeset;help;recover' {
            break
        }
        'changeset;help;audit' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the receipts, newest last')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one receipt as a timeline (the raw receipt with --format json)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Recompute every receipt hash and the chain; exit 1 naming the first bad receipt')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Create the Ed25519 key that signs checkpoints; prints its public (verifier) key')
            [CompletionResult]::new('checkpoint', 'checkpoint', [CompletionResultType]::ParameterValue, 'Print the log''s signed checkpoint (tree size and Merkle root; C2SP tlog-checkpoint)')
            [CompletionResult]::new('prove', 'prove', [CompletionResultType]::ParameterValue, 'Print an inclusion proof (JSON) that a receipt is in the log')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Copy this machine''s audit log (audit.db) into an empty shared PostgreSQL log')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write every receipt as JSON Lines (stdout, or a file)')
            break
        }
        'changeset;help;audit;list' {
            break
        }
        'changeset;help;audit;show' {
            break
        }
        'changeset;help;audit;verify' {
            break
        }
        'changeset;help;audit;keygen' {
            break
        }
        'changeset;help;audit;checkpoint' {
            break
        }
        'changeset;help;audit;prove' {
            break
        }
        'changeset;help;audit;migrate' {
            break
        }
        'changeset;help;audit;export' {
            break
        }
        'changeset;help;rules' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Lint a rules file (default: the active one)')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run the rules'' test cases (DIR/*.toml)')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Show every rule''s result, matched or not, for one set of facts')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Time the evaluator on a JSON Lines file of facts (same output keys as the peer benchmark)')
            break
        }
        'changeset;help;rules;check' {
            break
        }
        'changeset;help;rules;test' {
            break
        }
        'changeset;help;rules;explain' {
            break
        }
        'changeset;help;rules;bench' {
            break
        }
        'changeset;help;gate' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show where an apply sent to the gate is: approvers, time left, receipt (gate mode)')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel an apply that is still waiting for approval at the gate (gate mode)')
            [CompletionResult]::new('check-config', 'check-config', [CompletionResultType]::ParameterValue, 'Check gate.toml offline (rules pin, approver policy, credentials, signing key); exit 1 listing every problem as FILE:LINE')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the gate''s HTTP service until SIGTERM or Ctrl-C (requests in flight are finished)')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Create the gate''s Ed25519 key that signs receipts and checkpoints; prints its public key')
            break
        }
        'changeset;help;gate;status' {
            break
        }
        'changeset;help;gate;cancel' {
            break
        }
        'changeset;help;gate;check-config' {
            break
        }
        'changeset;help;gate;serve' {
            break
        }
        'changeset;help;gate;keygen' {
            break
        }
        'changeset;help;show' {
            break
        }
        'changeset;help;doctor' {
            break
        }
        'changeset;help;completions' {
            break
        }
        'changeset;help;man' {
            break
        }
        'changeset;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

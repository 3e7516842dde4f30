## Command line and node start-up

cli-error = { $message }
cli-initialised = Data folder { $dir } is ready.
cli-cert-fingerprint = TLS certificate { $path }, SHA-256 fingerprint { $fingerprint } (compare it with what your mail client shows before you trust it).
cli-already-initialised = Data folder { $dir } already exists; nothing was changed.
cli-account-added = Account { $address } added.
cli-account-removed = Account { $address } and all its mail removed.
cli-password-changed = Password of { $address } changed.
cli-quota-set = { $address } may now keep { $mib } MiB of mail.
cli-quota-cleared = { $address } has no quota of its own now (limits.default_quota_mib applies).
cli-quota-bad = { $value } is not a size: give MiB (a whole number above 0) or none.
cli-password-prompt = Password for { $address }:
cli-password-repeat = Repeat the password:
cli-password-mismatch = The passwords differ.
cli-password-empty = The password is empty.
cli-password-new-prompt = New password for { $address }:
cli-password-short = The password is too short: it needs at least { $min } characters (limits.min_password_length).
cli-remove-confirm = Remove { $address } with all its mail for good? Type "yes" to go on:
cli-remove-confirm-word = yes
cli-remove-cancelled = Nothing was removed.
cli-remove-needs-yes = Removing { $address } deletes all its mail; add --yes to confirm.
cli-account-removed-hosted = The service network still lists { $address } as hosted on this node: mail sent to it is refused from now on, and hosting its profile on this node again brings the account back (empty).
cli-no-accounts = No accounts.
cli-config-invalid = Configuration { $path }: { $message }
cli-bad-language = Unknown language { $lang }; available: { $known }.
cli-bad-language-config = { $path }: [node] language = "{ $lang }" is not available; available: { $known } (or empty for the system's language).
cli-bad-branding = Branding file { $message }
cli-bad-branding-colour = Branding file { $path }: { $key } is not a colour; write it as #rrggbb or #rgb.
cli-bad-branding-logo = Branding file { $path }: the logo { $key } is not an SVG, PNG or JPEG file of at most 512 KiB that can be read.
cli-not-initialised = { $dir } is not a wims data folder (run `wims --data { $dir } init`).
cli-port-in-use = Port { $port } ({ $what }, { $addr }) is already in use by another program. Stop that program, or give this node another port in { $config }.
cli-bind-failed = Cannot listen on { $addr } ({ $what }): { $reason }
cli-bad-listen = Invalid listen address { $addr } for { $what }.
cli-tls-failed = Cannot load the TLS certificate: { $reason }
cli-store-failed = Cannot open the mail store: { $reason }
cli-store-in-use = Another wims node uses the data folder { $dir }: stop it first, or give this node a folder of its own with --data.
cli-serving = { $product } node serving { $what } on { $addr }
cli-stopping = Stopping.
cli-stopped = Stopped cleanly.
cli-io-failed = { $path }: { $reason }
cli-drop-passphrase-prompt = Drop passphrase for { $address }:
cli-drop-enabled = { $address } may now send through the drop folder.
cli-drop-disabled = { $address } can no longer send through the drop folder.
cli-config-syntax-at = line { $line }, column { $column }: this is not valid TOML ({ $message })
cli-config-unknown-key = line { $line }: [{ $section }] has no setting "{ $key }"
cli-config-unknown-key-suggest = line { $line }: [{ $section }] has no setting "{ $key }"; did you mean "{ $suggestion }"?
cli-config-unknown-top = line { $line }: there is no section [{ $key }]
cli-config-unknown-top-suggest = line { $line }: there is no section [{ $key }]; did you mean [{ $suggestion }]?
cli-config-wrong-type = line { $line }: [{ $section }] { $key } must be { $kind }
cli-config-kind-string = text in quotes
cli-config-kind-integer = a whole number
cli-config-kind-number = a number
cli-config-kind-boolean = true or false
cli-config-kind-date = a date
cli-config-kind-list = a list [ … ] of the right kind
cli-config-kind-table = a section
cli-config-log-level = log.level is { $level }; it must be 0 (off) to 5 (trace)
cli-config-poll-interval = drop.poll_interval must be at least 1 second
cli-config-type-name = drop.types: { $type } is not a valid type name (use a-z, 0-9 and -)
cli-log-level-set = The running node now logs at level { $level } (until it restarts; set log.level to keep it).
cli-not-running = No node is running on { $dir }.

cli-config-overlay-addr = Overlay address { $addr } is not a libp2p multiaddr.
cli-config-retry = delivery.retry_min must be at least 1 and at most delivery.retry_max.
cli-config-zero = { $key } must be at least 1.
cli-overlay-failed = The overlay network could not start: { $reason }
cli-account-hosted = Account { $address } is hosted on this node.
cli-no-receipts = No receipts.
cli-receipt-line = { $time }  { $recipient }  { $id }
# $title is the branding's receipt title, else cli-receipts-default-title.
cli-receipts-heading = { $title } for { $address }:
cli-receipts-default-title = { $product } delivery receipts

demo-ready = Demonstration network running in { $dir } (service server { $service }).
demo-account = { $address }  password { $password }  IMAP { $imap }  IMAPS { $imaps }  submission { $submission }  submissions { $submissions }  webmail https://{ $web }/
demo-partners = alice@alpha.h and bob@beta.h are partners; carol@gamma.h is neither, so mail between her and them is refused.
demo-welcome-sent = Welcome message sent to { $to }.
demo-welcome-receipt = { $to } received it; the signed receipt verified and the Sent copy is marked $Delivered.
demo-welcome-no-receipt = No receipt for the welcome message yet; see the logs under the demo folder.
demo-welcome-failed = The welcome message could not be sent: { $reason }
demo-stop-hint = Press Ctrl-C to stop.
demo-welcome-subject = Welcome to your private mail network
demo-welcome-body = Hello,

    this message went from { $from } to { $to } node to node, encrypted and signed end to end.
    Your node answered with a signed receipt the moment it arrived.
demo-no-port = No free port on 127.0.0.1 for the service server.
demo-node-failed = Demo node { $node } did not start: { $reason }
demo-node-exited = Demo node { $node } stopped unexpectedly ({ $status }); its last line: { $reason }
demo-node-exited-silent = Demo node { $node } stopped unexpectedly ({ $status }).
demo-node-restarted = Demo node { $node } runs again, on the same ports.
demo-node-restarts = it stopped { $count } times within five minutes, so the demo stops

## Command line help (`wims --help`): one text per command (cli-help-PATH) and per argument
## (cli-help-PATH-ARGUMENT); cli-help-PATH-long is the longer text `--help` shows.

cli-help-wims = The wims node: hosts mail accounts, serves IMAP and SMTP submission, delivers end-to-end encrypted mail
cli-help-wims-long = The wims node: hosts mail accounts, serves IMAP and SMTP submission to mail clients, and delivers end-to-end encrypted mail to other nodes.

    Without --data it keeps its state in $WIMS_DATA, else $XDG_DATA_HOME/wims, else ~/.local/share/wims. Account commands work whether the node runs or not.
cli-help-wims-data = Data folder of the node (default: $WIMS_DATA, else $XDG_DATA_HOME/wims, else ~/.local/share/wims; for demo a temporary folder, removed when it ends)
cli-help-wims-log-level = Log level 0 (off) .. 5 (trace); overrides log.level
cli-help-wims-lang = Language of messages (en-US, de-DE; "de" is enough); overrides node.language and the system's locale
cli-help-init = Create the data folder: configuration, keys and a self-signed TLS certificate
cli-help-run = Serve IMAP and SMTP submission until interrupted (SIGINT or SIGTERM)
cli-help-account = Manage the node's accounts
cli-help-account-add = Add a local account
cli-help-account-add-address = The new account's address, name@domain
cli-help-account-add-password-stdin = Read the password from standard input instead of prompting
cli-help-account-list = List the accounts
cli-help-account-host = Host an account of a service network on this node, from its account profile file
cli-help-account-host-profile = The account profile file the network's operator handed out
cli-help-account-host-password-stdin = Read the password from standard input instead of prompting
cli-help-account-passwd = Change an account's password
cli-help-account-passwd-address = The account's address
cli-help-account-passwd-password-stdin = Read the new password from standard input instead of prompting
cli-help-account-remove = Remove an account with all its mail
cli-help-account-remove-address = The account's address
cli-help-account-remove-yes = Remove without asking (for scripts)
cli-help-account-quota = Set how much mail an account may keep (IMAP QUOTA)
cli-help-account-quota-address = The account's address
cli-help-account-quota-mib = The limit in MiB, or none for the node's default (limits.default_quota_mib)
cli-help-account-drop = Sending through the XML drop folder
cli-help-account-drop-enable = Allow the account to send through the drop folder, with a passphrase every drop file must carry
cli-help-account-drop-enable-address = The account's address
cli-help-account-drop-enable-passphrase-stdin = Read the passphrase from standard input instead of prompting
cli-help-account-drop-enable-rate-per-hour = Messages per hour through the drop folder (default: drop.rate_per_hour)
cli-help-account-drop-disable = Stop the account from sending through the drop folder
cli-help-account-drop-disable-address = The account's address
cli-help-receipts = List the signed receipts kept for an account's sent messages
cli-help-receipts-address = The sending account's address
cli-help-demo = Start a demonstration network on loopback: a service server, two nodes and three hosted accounts, until interrupted; with --data its state and ports are kept there for the next run
cli-help-log-level = Change the log level of the running node until it restarts
cli-help-log-level-level = The new level, 0 (off) .. 5 (trace)
cli-help-update = Releases announced by the service network
cli-help-update-check = Ask the service network whether a newer version of wims was released

cli-clap-help = Print help
cli-clap-help-more = Print help (see more with '--help')
cli-clap-help-summary = Print help (see a summary with '-h')
cli-clap-version = Print version
cli-clap-help-command = Print this message or the help of the given command
cli-clap-usage = Usage:
cli-clap-commands = Commands
cli-clap-arguments = Arguments
cli-clap-options = Options
cli-clap-options-word = OPTIONS
cli-clap-command-word = COMMAND
cli-clap-default = [default: { $value }]
cli-clap-error-unknown-argument = Unknown argument { $arg }; see `{ $program } --help`.
cli-clap-error-invalid-value = Invalid value "{ $value }" for { $arg }; see `{ $program } --help`.
cli-clap-error-missing-argument = { $arg } is missing; see `{ $program } --help`.
cli-clap-error-unknown-command = Unknown command { $command }; see `{ $program } --help`.
cli-clap-error-other = The command line is not valid; see `{ $program } --help`.
cli-clap-value-address = ADDRESS
cli-clap-value-dir = DIR
cli-clap-value-lang = LANG
cli-clap-value-text = TEXT
cli-clap-value-file = FILE
cli-clap-value-type = TYPE
cli-clap-value-profile = PROFILE

## wims send
cli-help-send = Send a message from an account of this node (the node must be running), showing each copy's progress until it is delivered or handed off
cli-help-send-from = The sending account's address
cli-help-send-to = A recipient (repeat for several)
cli-help-send-cc = A recipient in copy (repeat for several)
cli-help-send-subject = The subject
cli-help-send-body = The message text
cli-help-send-body-file = Read the message text from this file (UTF-8)
cli-help-send-message-type = The message type: message, fax, invoice, statement, remittance or one the node's configuration adds
cli-help-send-attach = Attach this file (repeat for several); it is read from where it lies, any size
cli-help-send-no-wait = Return once the message is queued, without waiting for it to leave
cli-send-body-file = Cannot read the message text from { $path }: { $reason }
cli-send-not-running = The node is not running; start it with "wims run" to send.
cli-send-filed-local = Delivered to { $address } on this node.
cli-send-queued = Message { $id } queued for delivery.
cli-send-delivered = { $address }: delivered, receipt received.
cli-send-handed-off = { $address }: handed off to the recipient's service servers; the receipt follows when the recipient's node collects it.
cli-send-dropped = { $address }: refused for good; see the node's log.
cli-send-phase-queued = waiting
cli-send-phase-sealing = encrypting
cli-send-phase-uploading = sending
cli-send-phase-servers = sending to the recipient's servers
cli-config-too-large = { $key } must be at most { $max }.
cli-help-monitor-token = Make an operator token for the monitor endpoint: a monitor that logs in with it sees the jobs of every account. The token is shown once; the node keeps only a hash of it
cli-help-monitor-token-replace = Revoke every earlier token
cli-help-monitor-token-revoke-all = Revoke every token and make no new one
cli-monitor-token-made = Operator token for monitors of this { $product } node (shown only now; keep it like a password):
cli-monitor-token-revoked = Every operator token of the monitor endpoint is revoked.

cli-help-rules = Message rules: the Sieve scripts an account keeps, one of them active (docs/rules.md)
cli-help-rules-list = List an account's scripts; the active one is marked with *
cli-help-rules-list-address = The account's address
cli-help-rules-show = Print one of an account's scripts
cli-help-rules-show-address = The account's address
cli-help-rules-show-name = The script's name
cli-help-rules-put = Keep a script for an account once it checks (replacing one of the same name)
cli-help-rules-put-address = The account's address
cli-help-rules-put-name = The script's name
cli-help-rules-put-file = The file holding the script
cli-help-rules-put-activate = Make it the active script too
cli-help-rules-activate = Make one of an account's scripts the active one
cli-help-rules-activate-address = The account's address
cli-help-rules-activate-name = The script's name
cli-help-rules-off = Turn an account's rules off (no script active)
cli-help-rules-off-address = The account's address
cli-help-rules-remove = Remove one of an account's scripts (not the active one)
cli-help-rules-remove-address = The account's address
cli-help-rules-remove-name = The script's name
cli-help-rules-check = Check a script file against this node's rules limits, without keeping it
cli-help-rules-check-file = The file holding the script
cli-rules-none = { $address } has no scripts.
cli-rules-line = { $active ->
    [yes] *
   *[no] { " " }
} { $name } ({ $size } bytes)
cli-rules-kept = Script { $name } of { $address } kept.
cli-rules-kept-active = Script { $name } of { $address } kept; it is the active one now.
cli-rules-activated = Script { $name } is { $address }'s active one now.
cli-rules-off = { $address } has no active rules now.
cli-rules-removed = Script { $name } of { $address } removed.
cli-rules-checks = { $path }: the script checks.
cli-rules-check-failed = { $path }: { $problem }

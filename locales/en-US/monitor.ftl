## wims-monitor: the job table, the detail pane, the status bar and the connection.

monitor-unknown-language = Unknown language; shipped: { $known }.

## Numbers, sizes and times. Fluent gets numbers already formatted; this is the decimal mark.

monitor-decimal-separator = .
monitor-size-bytes = { $value } B
monitor-size-kib = { $value } KiB
monitor-size-mib = { $value } MiB
monitor-size-gib = { $value } GiB
monitor-size-tib = { $value } TiB
monitor-size-pib = { $value } PiB
monitor-rate = { $size }/s
monitor-percent = { $value }%
monitor-duration-seconds = { $s } s
monitor-duration-minutes = { $m } min { $s } s
monitor-duration-hours = { $h } h { $m } min
monitor-duration-days = { $d } d { $h } h
monitor-eta-unknown = –
monitor-offset-seconds = { $value } s
# A chrono strftime pattern.
monitor-time-format = %Y-%m-%d %H:%M:%S
monitor-bytes-of = { $done } of { $total }
monitor-chunks-count = { $count } chunks

## The job table.

monitor-column-name = Name
monitor-column-type = Type
monitor-column-direction = Direction
monitor-column-size = Size
monitor-column-progress = Progress
monitor-column-state = State
monitor-column-rate = Rate
monitor-column-eta = Time left
monitor-column-path = Peer and way
monitor-column-attempts = Attempts
monitor-column-account = Account
monitor-column-started = Started

monitor-name-to = To { $peer }
monitor-name-from = From { $peer }
monitor-name-none = –
monitor-direction-up = ↑
monitor-direction-down = ↓
monitor-direction-up-long = Sending
monitor-direction-down-long = Receiving

monitor-type-message = Message
monitor-type-fax = Fax
monitor-type-invoice = Invoice
monitor-type-statement = Statement
monitor-type-remittance = Remittance
monitor-activity-drop-file = Drop file
monitor-activity-update = Update

monitor-state-queued = queued
monitor-state-running = running
monitor-state-retrying = retrying
monitor-state-retrying-in = retrying in { $wait }
monitor-state-waiting = waiting for the recipient's node
monitor-state-done = done
monitor-state-failed = failed

# How the data went, as the node's delivery log names it.
monitor-way-direct = direct
monitor-way-hole-punched = hole-punched
monitor-way-servers = servers
monitor-way-direct-servers = direct + servers
monitor-way-hole-punched-servers = hole-punched + servers
monitor-path = { $peer } · { $way }

## Filters.

monitor-filter-all-accounts = All accounts
monitor-filter-all-directions = Both directions
monitor-filter-up = Sending only
monitor-filter-down = Receiving only
monitor-filter-hide-finished = Hide finished jobs

## The detail pane.

monitor-field-account = Account
monitor-field-type = Type
monitor-field-direction = Direction
monitor-field-peer = Peer
monitor-field-way = Way
monitor-field-size = Size
monitor-field-chunks = Chunks
monitor-field-state = State
monitor-field-attempts = Attempts
monitor-field-next-attempt = Next attempt
monitor-field-started = Started
monitor-field-finished = Finished

monitor-stage-sealing = Composing and encrypting
monitor-stage-authorization = Authorization by the service network
monitor-stage-upload-direct = Upload to the recipient's node (direct)
monitor-stage-upload-hole-punched = Upload to the recipient's node (hole-punched)
monitor-stage-upload-to-server = Upload to server { $server }
monitor-stage-waiting-for-node = Waiting for the recipient's node to collect
monitor-stage-collect-from-server = Collection from server { $server }
monitor-stage-receiving = Receiving from the sender's node
monitor-stage-unsealing = Decrypting and filing
monitor-stage-receipt-up = Receipt from the recipient
monitor-stage-receipt-down = Receipt to the sender
monitor-stage-drop-processing = Reading the drop file
monitor-stage-update-available = Newer release available
monitor-server-named = { $number } ({ $name })

monitor-stage-state-pending = pending
monitor-stage-state-active = in progress
monitor-stage-state-done = done
monitor-stage-state-failed = failed
monitor-stage-state-skipped = not needed

## The piece map's legend.

monitor-place-missing-up = Not sealed yet
monitor-place-missing-down = Not arrived yet
monitor-place-here-up = Sealed, waiting to be sent
monitor-place-here-down = Received
monitor-place-peer = At the recipient's node
monitor-place-server = At server { $number }
monitor-place-server-named = At server { $number } ({ $name })

## Why a job failed. The node names these ids; the arguments come with them.

monitor-error-sender-not-hosted = The sending account is no longer hosted on this node.
monitor-error-sent-copy-gone = The message was deleted from Sent before it could be sealed.
monitor-error-no-node = The directory names no node for { $address }.
monitor-error-not-partners = { $address } is neither in your domain nor a partner of yours; mail to it is not allowed.
monitor-error-unknown-recipient = The network has no account { $address }.
monitor-error-service-unreachable = The service network could not be reached.
monitor-error-peer-unreachable = The recipient's node could not be reached, or the connection broke.
monitor-error-peer-busy = The recipient's node is busy and asked to try again later.
monitor-error-peer-refused = The recipient's node refused the message.
monitor-error-servers-incomplete = The recipient's servers did not take every part; the rest follows on the next attempt.
monitor-error-server-full = A server of the recipient has no room left for the recipient.
monitor-error-receipt-invalid = The receipt did not verify or was for another message.
monitor-error-local-storage = This node could not read or write its storage: { $detail }
monitor-error-chunk-mismatch = A part did not match the signed list of parts.
monitor-error-unseal-failed = The message could not be decrypted, or its signature did not verify.
monitor-error-forged-from = The message's From line names another sender than the one who signed it.
monitor-error-offer-refused = The sender's message was not accepted: it is not authorized or its signature is wrong.
monitor-error-transfer-cut = The connection ended before every part arrived; the rest comes later.
monitor-error-update-unverified = The release announcement did not verify against the network's certificate.
# An error id this monitor does not know (from a newer node).
monitor-error-unknown = The node reports an error this monitor has no text for ({ $id }).

## The status bar.

monitor-status-unknown = –
monitor-status-node-online = Node online
monitor-status-node-offline = Node offline
monitor-status-service-reachable = Service network reachable
monitor-status-service-unreachable = Service network not reachable
monitor-status-clock = Clock offset { $offset }
monitor-status-clock-unknown = Clock offset not measured yet
monitor-status-update = Update available: { $version }
monitor-status-rates = ↑ { $up }  ↓ { $down }
monitor-status-counts = { $running } running, { $waiting } waiting, { $done } done, { $failed } failed

## The connection to the node.

monitor-conn-idle = Not connected
monitor-conn-connecting = Connecting …
monitor-conn-connected = Connected
monitor-conn-waiting = { $why } Reconnecting in { $wait } (attempt { $attempt }).
monitor-lost-unreachable = The node cannot be reached.
monitor-lost-closed = The node closed the connection.
monitor-lost-silent = The node stopped answering.
monitor-lost-broken = The node sent something this monitor cannot read.
monitor-lost-resync = Some updates were missed; catching up.
monitor-refused-bad-credentials = The node refused the password or token.
monitor-refused-unknown-account = The node hosts no such account.
monitor-refused-unsupported-version = The node speaks monitor protocol versions { $min } to { $max }, this monitor { $ours_min } to { $ours_max }; update the older one.
monitor-refused-too-many-attempts = Too many failed logins; the node takes the next in { $wait }.

## Connecting to the node.

monitor-client-bad-address = “{ $address }” is not a node address; write host or host:port.
monitor-client-connection-refused = Nothing answers at { $target }: is the node running, with its monitor endpoint there?
monitor-client-unreachable = { $target } cannot be reached: { $detail }
monitor-client-timeout = { $target } did not answer in time.
monitor-client-unknown-certificate = The node at { $target } is not known yet. Its certificate has the SHA-256 fingerprint { $fingerprint }; accept it only if the node's operator confirms it.
monitor-client-changed-certificate = The node at { $target } presents another certificate than the one kept for it ({ $known }, now { $presented }); the connection was refused. If the operator renewed it, remove its line from { $path }.
monitor-client-tls = The secure connection to { $target } failed: { $detail }
monitor-client-closed = { $target } closed the connection without answering.
monitor-client-protocol = { $target } answered something this monitor cannot read: { $detail }
monitor-client-known-hosts = The known-hosts file { $path } cannot be used: { $detail }

## The window and the connection dialog.

monitor-window-title = { $product } Monitor — { $target }
monitor-window-title-idle = { $product } Monitor
monitor-filter-all-states = All states
monitor-detail-none = Select a job to see its details.
monitor-detail-pieces = Where the parts are
monitor-detail-stages = Stages
monitor-dialog-title = Connect to a node
monitor-dialog-next-profile = Saved connections …
monitor-dialog-address = Node address (host:port)
monitor-dialog-operator = Log in with an operator token
monitor-dialog-account = Account
monitor-dialog-password = Password
monitor-dialog-token = Operator token
monitor-dialog-connect = Connect
monitor-dialog-trust = Trust this certificate and connect
monitor-dialog-missing = Please fill in the address, and the account with its password or an operator token.
monitor-dialog-remember = Remember it in the system's secret store
monitor-dialog-nothing-saved = The system's secret store holds nothing for this account on this node; please enter the password.

## The tray icon's menu.

monitor-tray-show = Show the window
monitor-tray-hide = Hide the window
monitor-tray-quit = Quit

## The command line.

monitor-cli-token-unreadable = The token file { $path } cannot be read.
monitor-cli-password-unreadable = The password cannot be read from standard input.
monitor-cli-bad-fingerprint = “{ $value }” is not a SHA-256 fingerprint (64 hexadecimal digits, colons allowed).
monitor-cli-already-running = A monitor is already running; use --show or --hide to control it.
monitor-cli-control-failed = The control socket { $path } cannot be set up: { $detail }

## The command line's help page and usage errors (`wims-monitor --help`).

monitor-cli-help-monitor = Shows a wims node's jobs live: every message being sent or received, its progress and where its parts are.
monitor-cli-help-monitor-address = The node's monitor endpoint, host or host:port (port 7070 when left out)
monitor-cli-help-monitor-account = The account to watch; its password comes with --password-stdin, else from the system's secret store
monitor-cli-help-monitor-password-stdin = Reads the account's password from standard input (its first line)
monitor-cli-help-monitor-remember = Keeps the password in the system's secret store once the node has accepted it
monitor-cli-help-monitor-token-file = Reads an operator token (made with `wims monitor-token`) from this file
monitor-cli-help-monitor-accept-certificate = Trusts the node's certificate if its SHA-256 fingerprint is this, without asking, and keeps it in the known-hosts file
monitor-cli-help-monitor-known-hosts = The known-hosts file (by default known_hosts in the monitor's configuration folder)
monitor-cli-help-monitor-show = Shows the window of the running monitor (or starts one shown)
monitor-cli-help-monitor-hide = Hides the window of the running monitor (or starts one hidden)
monitor-cli-help-monitor-lang = The language of the texts (en-US, de-DE); the system's by default
monitor-cli-clap-help = Print help
monitor-cli-clap-help-more = Print help (see more with '--help')
monitor-cli-clap-help-summary = Print help (see a summary with '-h')
monitor-cli-clap-version = Print version
monitor-cli-clap-help-command = Print this message or the help of the given command
monitor-cli-clap-usage = Usage:
monitor-cli-clap-commands = Commands
monitor-cli-clap-arguments = Arguments
monitor-cli-clap-options = Options
monitor-cli-clap-options-word = OPTIONS
monitor-cli-clap-command-word = COMMAND
monitor-cli-clap-default = [default: { $value }]
monitor-cli-clap-error-unknown-argument = Unknown argument { $arg }; see `{ $program } --help`.
monitor-cli-clap-error-invalid-value = Invalid value "{ $value }" for { $arg }; see `{ $program } --help`.
monitor-cli-clap-error-missing-argument = { $arg } is missing; see `{ $program } --help`.
monitor-cli-clap-error-unknown-command = Unknown command { $command }; see `{ $program } --help`.
monitor-cli-clap-error-other = The command line is not valid; see `{ $program } --help`.
monitor-cli-clap-value-address = ADDRESS
monitor-cli-clap-value-account = ACCOUNT
monitor-cli-clap-value-path = PATH
monitor-cli-clap-value-sha256 = SHA256
monitor-cli-clap-value-lang = LANG

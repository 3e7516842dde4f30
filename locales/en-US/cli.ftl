## Command line and node start-up

cli-error = { $message }
cli-initialised = Data folder { $dir } is ready.
cli-already-initialised = Data folder { $dir } already exists; nothing was changed.
cli-account-added = Account { $address } added.
cli-account-removed = Account { $address } and all its mail removed.
cli-password-changed = Password of { $address } changed.
cli-account-exists = Account { $address } already exists.
cli-no-account = There is no account { $address }.
cli-invalid-address = { $address } is not a valid address (expected name@domain).
cli-password-prompt = Password for { $address }:
cli-password-repeat = Repeat the password:
cli-password-mismatch = The passwords differ.
cli-password-empty = The password is empty.
cli-no-accounts = No accounts.
cli-bad-config = Configuration { $message }
cli-bad-language = Unknown language { $lang }; available: { $known }.
cli-bad-branding = Branding file { $message }
cli-not-initialised = { $dir } is not a wims data folder (run `wims --data { $dir } init`).
cli-bind-failed = Cannot listen on { $addr } ({ $what }): { $reason }
cli-bad-listen = Invalid listen address { $addr } for { $what }.
cli-tls-failed = Cannot load the TLS certificate: { $reason }
cli-store-failed = Cannot open the mail store: { $reason }
cli-serving = { $product } node serving { $what } on { $addr }
cli-stopping = Stopping.
cli-stopped = Stopped cleanly.
cli-io-failed = { $path }: { $reason }
cli-drop-passphrase-prompt = Drop passphrase for { $address }:
cli-drop-enabled = { $address } may now send through the drop folder.
cli-drop-disabled = { $address } can no longer send through the drop folder.
cli-config-syntax = { $message }
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
cli-bad-profile = Not a usable account profile: { $reason }
cli-host-refused = The service network refused to host the account: { $reason }
cli-network-unreachable = The service network could not be reached: { $reason }
cli-no-receipts = No receipts.
cli-receipt-line = { $time }  { $recipient }  { $id }
# $title is the branding's receipt title, else cli-receipts-default-title.
cli-receipts-heading = { $title } for { $address }:
cli-receipts-default-title = { $product } delivery receipts
cli-update-available = update available: { $version } — { $url } — { $notes }
cli-update-up-to-date = up to date ({ $version })
cli-update-no-network = no service network (no hosted account)
cli-update-unverified = The service network's release announcement does not verify; it was ignored: { $reason }
cli-update-remembered-available = update available: { $version } — { $url } — { $notes } (last verified announcement, fetched { $fetched }; the service network cannot be reached now: { $reason })
cli-update-remembered-up-to-date = up to date ({ $running }) as of the last verified announcement ({ $version }, fetched { $fetched }); the service network cannot be reached now: { $reason }

demo-ready = Demonstration network running in { $dir } (service server { $service }).
demo-account = { $address }  password { $password }  IMAP { $imap }  IMAPS { $imaps }  submission { $submission }  submissions { $submissions }
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

## Command line help (`wims --help`): one text per command (cli-help-PATH) and per argument
## (cli-help-PATH-ARGUMENT); cli-help-PATH-long is the longer text `--help` shows.

cli-help-wims = The wims node: hosts mail accounts, serves IMAP and SMTP submission, delivers end-to-end encrypted mail
cli-help-wims-long = The wims node: hosts mail accounts, serves IMAP and SMTP submission to mail clients, and delivers end-to-end encrypted mail to other nodes.

    Without --data it keeps its state in $WIMS_DATA, else $XDG_DATA_HOME/wims, else ~/.local/share/wims. Account commands work whether the node runs or not.
cli-help-wims-data = Data folder of the node (default: $WIMS_DATA, else ~/.local/share/wims)
cli-help-wims-log-level = Log level 0 (off) .. 5 (trace); overrides log.level
cli-help-wims-lang = Language of messages; overrides node.language
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
cli-help-account-drop = Sending through the XML drop folder
cli-help-account-drop-enable = Allow the account to send through the drop folder, with a passphrase every drop file must carry
cli-help-account-drop-enable-address = The account's address
cli-help-account-drop-enable-passphrase-stdin = Read the passphrase from standard input instead of prompting
cli-help-account-drop-enable-rate-per-hour = Messages per hour through the drop folder (default: drop.rate_per_hour)
cli-help-account-drop-disable = Stop the account from sending through the drop folder
cli-help-account-drop-disable-address = The account's address
cli-help-receipts = List the signed receipts kept for an account's sent messages
cli-help-receipts-address = The sending account's address
cli-help-demo = Start a demonstration network on loopback: a service server, two nodes and three hosted accounts, until interrupted
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
cli-send-no-account = No account { $address } on this node.
cli-send-bad-address = Not a valid address: { $address }
cli-send-no-recipients = The message has no recipients.
cli-send-unknown-type = Unknown message type: { $address }
cli-send-not-partner = { $address } is neither in the sender's domain nor a partner.
cli-send-unknown-recipient = The network has no account { $address }.
cli-send-network-unavailable = The service network could not be reached to check { $address }; try again later.
cli-send-attachment = Cannot attach { $path }: { $reason }
cli-send-delivered = { $address }: delivered, receipt received.
cli-send-handed-off = { $address }: handed off to the recipient's service servers; the receipt follows when the recipient's node collects it.
cli-send-dropped = { $address }: refused for good; see the node's log.
cli-send-phase-queued = waiting
cli-send-phase-sealing = encrypting
cli-send-phase-uploading = sending
cli-send-phase-servers = sending to the recipient's servers

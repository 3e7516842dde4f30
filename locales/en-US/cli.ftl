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
cli-overlay-failed = The overlay network could not start: { $reason }
cli-account-hosted = Account { $address } is hosted on this node.
cli-bad-profile = Not a usable account profile: { $reason }
cli-host-refused = The service network refused to host the account: { $reason }
cli-network-unreachable = The service network could not be reached: { $reason }
cli-no-receipts = No receipts.
cli-receipt-line = { $time }  { $recipient }  { $id }
cli-update-available = update available: { $version } — { $url } — { $notes }
cli-update-up-to-date = up to date ({ $version })
cli-update-no-network = no service network (no hosted account)
cli-update-unverified = The service network's release announcement does not verify; it was ignored: { $reason }

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

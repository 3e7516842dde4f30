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

# Why an administration command failed: the command line and the web interface's operator pages say these.

admin-account-exists = Account { $address } already exists.
admin-bad-profile = Not a usable account profile: { $reason }
admin-host-refused = The service network refused to host { $address }: { $reason }
admin-host-refused-proof = The service network refused to host { $address }: the profile's hosting secret does not match or was used by another node already. Ask the service operator for a new profile (wims-service account create on a new address, or after disabling the old one).
admin-host-refused-unknown = The service network does not know { $address }: the account was never created there, or it was disabled.
admin-invalid-address = { $address } is not a valid address (expected name@domain).
admin-network-unreachable = The service network could not be reached: is its server running, and reachable from here at the addresses of the profile? (The log at level 4 names each attempt.)
admin-no-account = There is no account { $address }.
admin-request-too-large = The command is larger than the node takes ({ $mib } MiB); send a long body as a file attachment.
admin-send-attachment = Cannot attach { $path }: { $reason }
admin-send-attachment-unusable = Cannot attach { $path }: it is not a regular file this node may read, or it is too large.
admin-send-bad-address = Not a valid address: { $address }
admin-send-network-unavailable = The service network could not be reached to check { $address }; try again later.
admin-send-no-account = No account { $address } on this node.
admin-send-no-recipients = The message has no recipients.
admin-send-not-partner = { $address } is neither in the sender's domain nor a partner.
admin-send-unknown-recipient = The network has no account { $address }.
admin-send-unknown-type = Unknown message type: { $address }
admin-update-unverified = The service network's release announcement does not verify; it was ignored: { $reason }
admin-failed = The node could not do it: { $reason }
admin-not-running = This needs the running node: start it with wims run.

# What a check for a newer release found.
admin-update-available = update available: { $version } — { $url } — { $notes }
admin-update-up-to-date = up to date ({ $version })
admin-update-no-network = no service network (no hosted account)
admin-update-remembered-available = update available: { $version } — { $url } — { $notes } (last verified announcement, fetched { $fetched }; the service network cannot be reached now: { $reason })
admin-update-remembered-up-to-date = up to date ({ $running }) as of the last verified announcement ({ $version }, fetched { $fetched }); the service network cannot be reached now: { $reason }

# An account's rules (Sieve scripts). $name is the script's name.
admin-rules-bad-name = “{ $name }” cannot be a script's name: it must not be empty, longer than 128 characters, or hold a control character or “/”.
admin-rules-too-large = The script { $name } is larger than the node keeps (rules.max_script_size).
admin-rules-too-many = { $address } keeps as many scripts as it may (rules.max_scripts); remove one first.
admin-rules-no-script = { $address } has no script { $name }.
admin-rules-active = The script { $name } is the active one: make another active, or turn the rules off, before removing it.
admin-rules-exists = { $address } has a script { $name } already.
# A script that does not check: where, then what.
admin-rules-invalid = Line { $line }, column { $column }: { $what }
admin-rules-invalid-somewhere = { $what }
admin-rules-unexpected = “{ $found }” is not allowed here.
admin-rules-unexpected-end = The script ends before a command is complete.
admin-rules-unterminated = A string, comment or block is not closed.
admin-rules-too-long = The script, or a string or name in it, is longer than the node takes.
admin-rules-too-deep = Blocks or tests are nested too deeply, or the script includes too many others.
admin-rules-extension = The extension “{ $name }” is used without require, or this node does not offer it.
admin-rules-invalid-value = A value is not valid here ({ $detail }).

## wims-service: command line and server messages

init-done = Service data folder { $dir } is ready: network { $network }, server { $peer }, CA { $fingerprint }.
init-joined = It joins the network of the CA in { $file }; list the other servers under [network] peers in each server's configuration.
run-listening = Service server { $peer } of network { $network } listening on { $addr }
run-stopping = Stopping.
run-stopped = Stopped cleanly.
account-created = Account { $address } created. Its profile is in { $file }; it holds the one-time hosting secret, so hand it over like a password.
account-disabled = Account { $address } disabled.
account-none = No accounts.
account-no-node = -
state-created = created
state-hosted = hosted
state-disabled = disabled
list-address = ADDRESS
list-name = NAME
list-state = STATE
list-node = HOSTING NODE
partner-added = { $a } and { $b } are now partners.
partner-exists = { $a } and { $b } were already partners.
partner-removed = { $a } and { $b } are no longer partners.
partner-not-found = { $a } and { $b } are not registered as partners.
partner-none = No partnerships.
partner-row = { $a } <-> { $b }
release-announced = Announced release { $version } to the network's nodes.
release-none = No release announced.
release-show = Release { $version }, announced { $published }: { $url }
release-notes = { $notes }

## Errors (one line each)

error-bad-language = Unknown language { $lang }; available: { $known }.
error-already-initialised = { $dir } already exists and is not empty; nothing was changed.
error-not-initialised = { $dir } is not a wims-service data folder (run `wims-service --data { $dir } init`).
error-io = { $path }: { $reason }
error-ca = CA key { $path }: { $reason }
error-server-key = Server key { $path } is damaged (it must be 32 bytes).
error-registry = Cannot use the registry: { $reason } (is another wims-service using this data folder?)
error-port-in-use = Port { $port } ({ $what }, { $addr }) is already in use by another program. Stop that program, or set another port under [overlay] listen in wims-service.toml.
error-overlay = Cannot start the overlay: { $reason }
error-admin = The running server did not answer on { $path }: { $reason }
error-account-exists = Account { $address } already exists.
error-no-account = There is no account { $address }.
error-invalid-address = { $address } is not a valid address (name@domain) or domain.
error-internal = The server could not do that ({ $address }); see its log.
error-invalid-version = { $address } is not a release version (dotted numbers, e.g. 0.2.0).
error-profile-exists = { $file } already exists; choose another file with --out.

## Configuration problems; { $path } is the configuration file

config-invalid = Configuration { $path }: { $message }
config-syntax-at = line { $line }, column { $column }: this is not valid TOML ({ $message })
config-unknown-key = line { $line }: [{ $section }] has no setting "{ $key }"
config-unknown-key-suggest = line { $line }: [{ $section }] has no setting "{ $key }"; did you mean "{ $suggestion }"?
config-unknown-top = line { $line }: there is no section [{ $key }]
config-unknown-top-suggest = line { $line }: there is no section [{ $key }]; did you mean [{ $suggestion }]?
config-wrong-type = line { $line }: [{ $section }] { $key } must be { $kind }
config-kind-string = text in quotes
config-kind-integer = a whole number
config-kind-number = a number
config-kind-boolean = true or false
config-kind-date = a date
config-kind-list = a list [ … ] of the right kind
config-kind-table = a section
config-log-level = log.level is { $level }; it must be 0 (off) to 5 (trace).
config-multiaddr = { $addr } is not a multiaddr (e.g. /ip4/127.0.0.1/udp/4100/quic-v1).
config-peer-id = { $peer } is not a PeerId.
config-token-lifetime = authorization.token_lifetime must be between 1 second and one year (31536000).

## Command line help

help-service = The service server of a wims network: account registry, directory, partnerships and send authorization.
help-service-data = Data folder of the server
help-service-log-level = Log level 0 (off) .. 5 (trace); overrides log.level
help-service-lang = Language of messages; overrides service.language
help-init = Create the data folder: configuration, CA key, server key and database
help-init-network = Name of the new network (a label in its CA certificate)
help-init-join = Join an existing network: use a copy of its CA key file instead of making a new CA
help-run = Serve until interrupted (SIGINT or SIGTERM)
help-account = Manage the network's accounts
help-account-create = Register an account and write its profile for the node that will host it
help-account-create-address = The new account's address, name@domain
help-account-create-name = Display name of the account
help-account-create-out = Where to write the profile (default: ADDRESS.profile in the current folder)
help-account-list = List the accounts with their state and hosting node
help-account-disable = Disable an account: it leaves the directory and can no longer send or receive
help-account-disable-address = The account's address
help-partner = Manage partnerships: which addresses and domains may exchange mail
help-partner-add = Let A and B exchange mail (addresses or whole domains, both directions)
help-partner-add-a = An address or a domain
help-partner-add-b = An address or a domain
help-partner-remove = Remove the partnership of A and B
help-partner-remove-a = An address or a domain
help-partner-remove-b = An address or a domain
help-partner-list = List the partnerships
help-release = Announce releases to the network's nodes
help-release-announce = Sign and publish VERSION as the latest release; nodes report it when it is newer than theirs
help-release-announce-version = The release's version, dotted numbers (e.g. 0.2.0)
help-release-announce-notes = A short description of the release
help-release-announce-url = Where to get the release
help-release-show = Show the announced release

# clap's own words on help pages and in usage errors
clap-help = Print help
clap-help-more = Print help (see more with '--help')
clap-help-summary = Print help (see a summary with '-h')
clap-version = Print version
clap-help-command = Print this message or the help of the given command
clap-usage = Usage:
clap-commands = Commands
clap-arguments = Arguments
clap-options = Options
clap-options-word = OPTIONS
clap-command-word = COMMAND
clap-default = [default: { $value }]
clap-error-unknown-argument = Unknown argument { $arg }; see `{ $program } --help`.
clap-error-invalid-value = Invalid value "{ $value }" for { $arg }; see `{ $program } --help`.
clap-error-missing-argument = { $arg } is missing; see `{ $program } --help`.
clap-error-unknown-command = Unknown command { $command }; see `{ $program } --help`.
clap-error-other = The command line is not valid; see `{ $program } --help`.
clap-value-address = ADDRESS
clap-value-dir = DIR
clap-value-lang = LANG
clap-value-text = TEXT
clap-value-file = FILE
clap-value-name = NAME
clap-value-ca_file = CA_FILE
clap-value-version = VERSION

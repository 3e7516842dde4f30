## wims-service: Befehlszeile und Servermeldungen

init-done = Datenordner { $dir } ist bereit: Netz { $network }, Server { $peer }, CA { $fingerprint }.
init-joined = Er tritt dem Netz der CA in { $file } bei; tragen Sie die anderen Server in der Konfiguration jedes Servers unter [network] peers ein.
run-listening = Dienstserver { $peer } des Netzes { $network } lauscht auf { $addr }
run-stopping = Wird beendet.
run-stopped = Sauber beendet.
account-created = Konto { $address } angelegt. Sein Profil liegt in { $file }; es enthält das einmalige Hosting-Geheimnis, geben Sie es also wie ein Passwort weiter.
account-disabled = Konto { $address } gesperrt.
account-none = Keine Konten.
account-no-node = -
state-created = angelegt
state-hosted = gehostet
state-disabled = gesperrt
list-address = ADRESSE
list-name = NAME
list-state = ZUSTAND
list-node = HOSTING-KNOTEN
partner-added = { $a } und { $b } sind jetzt Partner.
partner-exists = { $a } und { $b } waren bereits Partner.
partner-removed = { $a } und { $b } sind keine Partner mehr.
partner-not-found = { $a } und { $b } sind nicht als Partner eingetragen.
partner-none = Keine Partnerschaften.
partner-row = { $a } <-> { $b }
release-announced = Version { $version } wurde den Knoten des Netzes angekündigt.
release-none = Keine Version angekündigt.
release-show = Version { $version }, angekündigt am { $published }: { $url }
release-notes = { $notes }

## Fehler (je eine Zeile)

error-bad-language = Unbekannte Sprache { $lang }; verfügbar: { $known }.
error-already-initialised = { $dir } existiert bereits und ist nicht leer; nichts wurde geändert.
error-not-initialised = { $dir } ist kein wims-service-Datenordner (`wims-service --data { $dir } init` ausführen).
error-io = { $path }: { $reason }
error-ca = CA-Schlüssel { $path }: { $reason }
error-server-key = Serverschlüssel { $path } ist beschädigt (er muss 32 Bytes lang sein).
error-registry = Das Register ist nicht nutzbar: { $reason } (verwendet ein anderer wims-service diesen Datenordner?)
error-port-in-use = Port { $port } ({ $what }, { $addr }) ist schon von einem anderen Programm belegt. Beenden Sie dieses Programm oder tragen Sie in wims-service.toml unter [overlay] listen einen anderen Port ein.
error-overlay = Das Overlay lässt sich nicht starten: { $reason }
error-admin = Der laufende Server hat auf { $path } nicht geantwortet: { $reason }
error-account-exists = Konto { $address } existiert bereits.
error-no-account = Es gibt kein Konto { $address }.
error-invalid-address = { $address } ist keine gültige Adresse (name@domain) oder Domain.
error-internal = Der Server konnte das nicht ausführen ({ $address }); siehe sein Protokoll.
error-invalid-version = { $address } ist keine Versionsnummer (Zahlen mit Punkten, z. B. 0.2.0).
error-profile-exists = { $file } existiert bereits; wählen Sie mit --out eine andere Datei.

## Konfigurationsprobleme; { $path } ist die Konfigurationsdatei

config-invalid = Konfiguration { $path }: { $message }
config-syntax-at = Zeile { $line }, Spalte { $column }: Das ist kein gültiges TOML ({ $message })
config-unknown-key = Zeile { $line }: [{ $section }] hat keine Einstellung „{ $key }“
config-unknown-key-suggest = Zeile { $line }: [{ $section }] hat keine Einstellung „{ $key }“; war „{ $suggestion }“ gemeint?
config-unknown-top = Zeile { $line }: Es gibt keinen Abschnitt [{ $key }]
config-unknown-top-suggest = Zeile { $line }: Es gibt keinen Abschnitt [{ $key }]; war [{ $suggestion }] gemeint?
config-wrong-type = Zeile { $line }: [{ $section }] { $key } muss { $kind } sein
config-kind-string = Text in Anführungszeichen
config-kind-integer = eine ganze Zahl
config-kind-number = eine Zahl
config-kind-boolean = true oder false
config-kind-date = ein Datum
config-kind-list = eine Liste [ … ] der richtigen Art
config-kind-table = ein Abschnitt
config-log-level = log.level ist { $level }; erlaubt sind 0 (aus) bis 5 (trace).
config-multiaddr = { $addr } ist keine Multiaddr (z. B. /ip4/127.0.0.1/udp/4100/quic-v1).
config-peer-id = { $peer } ist keine PeerId.
config-token-lifetime = authorization.token_lifetime muss zwischen 1 Sekunde und einem Jahr (31536000) liegen.

## Hilfetexte der Befehlszeile

help-service = Der Dienstserver eines wims-Netzes: Kontenregister, Verzeichnis, Partnerschaften und Sendefreigaben.
help-service-data = Datenordner des Servers
help-service-log-level = Protokollstufe 0 (aus) .. 5 (trace); ersetzt log.level
help-service-lang = Sprache der Meldungen; ersetzt service.language
help-init = Datenordner anlegen: Konfiguration, CA-Schlüssel, Serverschlüssel und Datenbank
help-init-network = Name des neuen Netzes (eine Bezeichnung in seinem CA-Zertifikat)
help-init-join = Einem bestehenden Netz beitreten: eine Kopie seiner CA-Schlüsseldatei verwenden statt eine neue CA zu erzeugen
help-run = Dienst ausführen, bis er unterbrochen wird (SIGINT oder SIGTERM)
help-account = Konten des Netzes verwalten
help-account-create = Ein Konto anlegen und sein Profil für den Knoten schreiben, der es hosten wird
help-account-create-address = Adresse des neuen Kontos, name@domain
help-account-create-name = Anzeigename des Kontos
help-account-create-out = Wohin das Profil geschrieben wird (Vorgabe: ADRESSE.profile im aktuellen Ordner)
help-account-list = Konten mit Zustand und Hosting-Knoten auflisten
help-account-disable = Ein Konto sperren: es verschwindet aus dem Verzeichnis und kann weder senden noch empfangen
help-account-disable-address = Adresse des Kontos
help-partner = Partnerschaften verwalten: welche Adressen und Domains einander schreiben dürfen
help-partner-add = A und B einander schreiben lassen (Adressen oder ganze Domains, in beide Richtungen)
help-partner-add-a = Eine Adresse oder eine Domain
help-partner-add-b = Eine Adresse oder eine Domain
help-partner-remove = Die Partnerschaft von A und B entfernen
help-partner-remove-a = Eine Adresse oder eine Domain
help-partner-remove-b = Eine Adresse oder eine Domain
help-partner-list = Partnerschaften auflisten
help-release = Neue Versionen den Knoten des Netzes ankündigen
help-release-announce = VERSION signieren und als neueste Version veröffentlichen; Knoten melden sie, wenn sie neuer als ihre ist
help-release-announce-version = Die Versionsnummer, Zahlen mit Punkten (z. B. 0.2.0)
help-release-announce-notes = Eine kurze Beschreibung der Version
help-release-announce-url = Wo es die Version gibt
help-release-show = Die angekündigte Version anzeigen

# clap's own words on help pages and in usage errors
clap-help = Hilfe anzeigen
clap-help-more = Hilfe anzeigen (ausführlicher mit „--help“)
clap-help-summary = Hilfe anzeigen (kürzer mit „-h“)
clap-version = Version anzeigen
clap-help-command = Diese Hilfe oder die Hilfe des angegebenen Befehls anzeigen
clap-usage = Aufruf:
clap-commands = Befehle
clap-arguments = Argumente
clap-options = Optionen
clap-options-word = OPTIONEN
clap-command-word = BEFEHL
clap-default = [Vorgabe: { $value }]
clap-error-unknown-argument = Unbekanntes Argument { $arg }; siehe `{ $program } --help`.
clap-error-invalid-value = Ungültiger Wert „{ $value }“ für { $arg }; siehe `{ $program } --help`.
clap-error-missing-argument = { $arg } fehlt; siehe `{ $program } --help`.
clap-error-unknown-command = Unbekannter Befehl { $command }; siehe `{ $program } --help`.
clap-error-other = Die Befehlszeile ist ungültig; siehe `{ $program } --help`.
clap-value-address = ADRESSE
clap-value-dir = ORDNER
clap-value-lang = SPRACHE
clap-value-text = TEXT
clap-value-file = DATEI
clap-value-name = NAME
clap-value-ca_file = CA_DATEI
clap-value-version = VERSION

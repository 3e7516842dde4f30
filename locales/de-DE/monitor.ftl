## wims-monitor: Auftragsliste, Detailansicht, Statusleiste und Verbindung.

monitor-unknown-language = Unbekannte Sprache; mitgeliefert: { $known }.

## Zahlen, Größen und Zeiten. Fluent erhält Zahlen fertig formatiert; dies ist das Dezimalzeichen.

monitor-decimal-separator = ,
monitor-size-bytes = { $value } B
monitor-size-kib = { $value } KiB
monitor-size-mib = { $value } MiB
monitor-size-gib = { $value } GiB
monitor-size-tib = { $value } TiB
monitor-size-pib = { $value } PiB
monitor-rate = { $size }/s
monitor-percent = { $value } %
monitor-duration-seconds = { $s } s
monitor-duration-minutes = { $m } min { $s } s
monitor-duration-hours = { $h } h { $m } min
monitor-duration-days = { $d } T { $h } h
monitor-eta-unknown = –
monitor-offset-seconds = { $value } s
# Ein strftime-Muster von chrono.
monitor-time-format = %d.%m.%Y %H:%M:%S
monitor-bytes-of = { $done } von { $total }
monitor-chunks-count = { $count } Teile

## Die Auftragsliste.

monitor-column-name = Name
monitor-column-type = Art
monitor-column-direction = Richtung
monitor-column-size = Größe
monitor-column-progress = Fortschritt
monitor-column-state = Status
monitor-column-rate = Rate
monitor-column-eta = Restzeit
monitor-column-path = Gegenstelle und Weg
monitor-column-attempts = Versuche
monitor-column-account = Konto
monitor-column-started = Begonnen

monitor-name-to = An { $peer }
monitor-name-from = Von { $peer }
monitor-name-none = –
monitor-direction-up = ↑
monitor-direction-down = ↓
monitor-direction-up-long = Senden
monitor-direction-down-long = Empfangen

monitor-type-message = Nachricht
monitor-type-fax = Fax
monitor-type-invoice = Rechnung
monitor-type-statement = Kontoauszug
monitor-type-remittance = Zahlungsavis
monitor-activity-drop-file = Ablagedatei
monitor-activity-update = Aktualisierung

monitor-state-queued = eingereiht
monitor-state-running = läuft
monitor-state-retrying = neuer Versuch folgt
monitor-state-retrying-in = neuer Versuch in { $wait }
monitor-state-waiting = wartet auf den Knoten des Empfängers
monitor-state-done = fertig
monitor-state-failed = fehlgeschlagen

# Wie die Daten gingen, benannt wie im Zustellprotokoll des Knotens.
monitor-way-direct = direkt
monitor-way-hole-punched = per Hole Punching
monitor-way-servers = über Server
monitor-way-direct-servers = direkt + Server
monitor-way-hole-punched-servers = per Hole Punching + Server
monitor-path = { $peer } · { $way }

## Filter.

monitor-filter-all-accounts = Alle Konten
monitor-filter-all-directions = Beide Richtungen
monitor-filter-up = Nur Senden
monitor-filter-down = Nur Empfangen
monitor-filter-hide-finished = Abgeschlossene Aufträge ausblenden

## Die Detailansicht.

monitor-field-account = Konto
monitor-field-type = Art
monitor-field-direction = Richtung
monitor-field-peer = Gegenstelle
monitor-field-way = Weg
monitor-field-size = Größe
monitor-field-chunks = Teile
monitor-field-state = Status
monitor-field-attempts = Versuche
monitor-field-next-attempt = Nächster Versuch
monitor-field-started = Begonnen
monitor-field-finished = Beendet

monitor-stage-sealing = Zusammenstellen und Verschlüsseln
monitor-stage-authorization = Freigabe durch das Dienstnetz
monitor-stage-upload-direct = Übertragung zum Knoten des Empfängers (direkt)
monitor-stage-upload-hole-punched = Übertragung zum Knoten des Empfängers (per Hole Punching)
monitor-stage-upload-to-server = Übertragung zu Server { $server }
monitor-stage-waiting-for-node = Warten auf Abholung durch den Knoten des Empfängers
monitor-stage-collect-from-server = Abholung von Server { $server }
monitor-stage-receiving = Empfang vom Knoten des Absenders
monitor-stage-unsealing = Entschlüsseln und Ablegen
monitor-stage-receipt-up = Empfangsbestätigung vom Empfänger
monitor-stage-receipt-down = Empfangsbestätigung an den Absender
monitor-stage-drop-processing = Lesen der Ablagedatei
monitor-stage-update-available = Neuere Version verfügbar
monitor-server-named = { $number } ({ $name })

monitor-stage-state-pending = ausstehend
monitor-stage-state-active = läuft
monitor-stage-state-done = fertig
monitor-stage-state-failed = fehlgeschlagen
monitor-stage-state-skipped = nicht nötig

## Die Legende der Teilekarte.

monitor-place-missing-up = Noch nicht verschlüsselt
monitor-place-missing-down = Noch nicht eingetroffen
monitor-place-here-up = Verschlüsselt, wartet auf Versand
monitor-place-here-down = Empfangen
monitor-place-peer = Beim Knoten des Empfängers
monitor-place-server = Bei Server { $number }
monitor-place-server-named = Bei Server { $number } ({ $name })

## Warum ein Auftrag scheiterte. Der Knoten nennt diese Kennungen samt Argumenten.

monitor-error-sender-not-hosted = Das sendende Konto wird auf diesem Knoten nicht mehr geführt.
monitor-error-sent-copy-gone = Die Nachricht wurde aus „Gesendet“ gelöscht, bevor sie verschlüsselt werden konnte.
monitor-error-no-node = Das Verzeichnis nennt keinen Knoten für { $address }.
monitor-error-not-partners = { $address } gehört weder zu Ihrer Domäne noch zu einem Partner; Post dorthin ist nicht erlaubt.
monitor-error-unknown-recipient = Das Netz kennt kein Konto { $address }.
monitor-error-service-unreachable = Das Dienstnetz war nicht erreichbar.
monitor-error-peer-unreachable = Der Knoten des Empfängers war nicht erreichbar, oder die Verbindung brach ab.
monitor-error-peer-busy = Der Knoten des Empfängers ist ausgelastet und bittet um einen späteren Versuch.
monitor-error-peer-refused = Der Knoten des Empfängers hat die Nachricht abgelehnt.
monitor-error-servers-incomplete = Die Server des Empfängers haben nicht alle Teile angenommen; der Rest folgt beim nächsten Versuch.
monitor-error-server-full = Ein Server des Empfängers hat für den Empfänger keinen Platz mehr.
monitor-error-receipt-invalid = Die Empfangsbestätigung war nicht gültig oder galt einer anderen Nachricht.
monitor-error-local-storage = Dieser Knoten konnte seinen Speicher nicht lesen oder schreiben: { $detail }
monitor-error-chunk-mismatch = Ein Teil passte nicht zur signierten Teileliste.
monitor-error-unseal-failed = Die Nachricht ließ sich nicht entschlüsseln, oder ihre Signatur war ungültig.
monitor-error-forged-from = Die From-Zeile der Nachricht nennt einen anderen Absender als den, der sie signiert hat.
monitor-error-offer-refused = Die Nachricht des Absenders wurde nicht angenommen: Sie ist nicht freigegeben, oder ihre Signatur ist falsch.
monitor-error-transfer-cut = Die Verbindung endete, bevor alle Teile da waren; der Rest kommt später.
monitor-error-update-unverified = Die Versionsankündigung ließ sich mit dem Zertifikat des Netzes nicht bestätigen.
# Eine Fehlerkennung, die dieser Monitor nicht kennt (von einem neueren Knoten).
monitor-error-unknown = Der Knoten meldet einen Fehler, für den dieser Monitor keinen Text hat ({ $id }).

## Die Statusleiste.

monitor-status-unknown = –
monitor-status-node-online = Knoten online
monitor-status-node-offline = Knoten offline
monitor-status-service-reachable = Dienstnetz erreichbar
monitor-status-service-unreachable = Dienstnetz nicht erreichbar
monitor-status-clock = Uhrabweichung { $offset }
monitor-status-clock-unknown = Uhrabweichung noch nicht gemessen
monitor-status-update = Aktualisierung verfügbar: { $version }
monitor-status-rates = ↑ { $up }  ↓ { $down }
monitor-status-counts = { $running } aktiv, { $waiting } wartend, { $done } fertig, { $failed } fehlgeschlagen

## Die Verbindung zum Knoten.

monitor-conn-idle = Nicht verbunden
monitor-conn-connecting = Verbindung wird aufgebaut …
monitor-conn-connected = Verbunden
monitor-conn-waiting = { $why } Neuer Verbindungsversuch in { $wait } (Versuch { $attempt }).
monitor-lost-unreachable = Der Knoten ist nicht erreichbar.
monitor-lost-closed = Der Knoten hat die Verbindung beendet.
monitor-lost-silent = Der Knoten antwortet nicht mehr.
monitor-lost-broken = Der Knoten hat etwas gesendet, das dieser Monitor nicht lesen kann.
monitor-lost-resync = Einige Meldungen fehlen; der Stand wird neu geladen.
monitor-refused-bad-credentials = Der Knoten hat das Passwort oder den Token abgelehnt.
monitor-refused-unknown-account = Der Knoten führt kein solches Konto.
monitor-refused-unsupported-version = Der Knoten spricht die Monitor-Protokollversionen { $min } bis { $max }, dieser Monitor { $ours_min } bis { $ours_max }; bitte den älteren aktualisieren.
monitor-refused-too-many-attempts = Zu viele fehlgeschlagene Anmeldungen; der Knoten nimmt die nächste in { $wait } an.

## Verbindung zum Knoten.

monitor-client-bad-address = „{ $address }“ ist keine Knotenadresse; bitte Host oder Host:Port angeben.
monitor-client-connection-refused = Unter { $target } antwortet nichts: Läuft der Knoten, und ist sein Monitor-Zugang dort?
monitor-client-unreachable = { $target } ist nicht erreichbar: { $detail }
monitor-client-timeout = { $target } hat nicht rechtzeitig geantwortet.
monitor-client-unknown-certificate = Der Knoten unter { $target } ist noch unbekannt. Sein Zertifikat hat den SHA-256-Fingerabdruck { $fingerprint }; nur annehmen, wenn der Betreiber des Knotens ihn bestätigt.
monitor-client-changed-certificate = Der Knoten unter { $target } zeigt ein anderes Zertifikat als das gespeicherte ({ $known }, jetzt { $presented }); die Verbindung wurde abgelehnt. Hat der Betreiber es erneuert, die Zeile aus { $path } entfernen.
monitor-client-tls = Die sichere Verbindung zu { $target } ist gescheitert: { $detail }
monitor-client-closed = { $target } hat die Verbindung ohne Antwort geschlossen.
monitor-client-protocol = { $target } hat etwas geantwortet, das dieser Monitor nicht lesen kann: { $detail }
monitor-client-known-hosts = Die Datei der bekannten Knoten { $path } ist nicht nutzbar: { $detail }

## Das Fenster und der Verbindungsdialog.

monitor-window-title = { $product } Monitor — { $target }
monitor-window-title-idle = { $product } Monitor
monitor-filter-all-states = Alle Zustände
monitor-detail-none = Einen Auftrag auswählen, um die Einzelheiten zu sehen.
monitor-detail-pieces = Wo die Teile sind
monitor-detail-stages = Schritte
monitor-dialog-title = Mit einem Knoten verbinden
monitor-dialog-next-profile = Gespeicherte Verbindungen …
monitor-dialog-address = Adresse des Knotens (Host:Port)
monitor-dialog-operator = Mit einem Betreiber-Token anmelden
monitor-dialog-account = Konto
monitor-dialog-password = Passwort
monitor-dialog-token = Betreiber-Token
monitor-dialog-connect = Verbinden
monitor-dialog-trust = Diesem Zertifikat vertrauen und verbinden
monitor-dialog-missing = Bitte die Adresse und das Konto mit Passwort oder ein Betreiber-Token angeben.
monitor-dialog-remember = Im Schlüsselbund des Systems speichern
monitor-dialog-nothing-saved = Der Schlüsselbund des Systems enthält nichts für dieses Konto auf diesem Knoten; bitte das Passwort eingeben.

## Das Menü des Symbols im Infobereich.

monitor-tray-show = Fenster zeigen
monitor-tray-hide = Fenster verbergen
monitor-tray-quit = Beenden

## Die Kommandozeile.

monitor-cli-token-unreadable = Die Token-Datei { $path } ist nicht lesbar.
monitor-cli-password-unreadable = Das Passwort kann nicht von der Standardeingabe gelesen werden.
monitor-cli-bad-fingerprint = „{ $value }“ ist kein SHA-256-Fingerabdruck (64 Hexadezimalziffern, Doppelpunkte erlaubt).
monitor-cli-already-running = Ein Monitor läuft bereits; mit --show oder --hide lässt er sich steuern.
monitor-cli-control-failed = Der Steuer-Socket { $path } kann nicht eingerichtet werden: { $detail }

## Die Hilfe der Befehlszeile und ihre Fehler (`wims-monitor --help`).

monitor-cli-help-monitor = Zeigt die Aufträge eines wims-Knotens live: jede Nachricht, die gesendet oder empfangen wird, ihren Fortschritt und wo ihre Teile sind.
monitor-cli-help-monitor-address = Der Monitor-Endpunkt des Knotens, Host oder Host:Port (ohne Port 7070)
monitor-cli-help-monitor-account = Das zu beobachtende Konto; sein Passwort kommt mit --password-stdin, sonst aus dem Schlüsselbund des Systems
monitor-cli-help-monitor-password-stdin = Liest das Passwort des Kontos von der Standardeingabe (ihre erste Zeile)
monitor-cli-help-monitor-remember = Speichert das Passwort im Schlüsselbund des Systems, sobald der Knoten es angenommen hat
monitor-cli-help-monitor-token-file = Liest ein Betreiber-Token (erzeugt mit `wims monitor-token`) aus dieser Datei
monitor-cli-help-monitor-accept-certificate = Vertraut dem Zertifikat des Knotens ohne Rückfrage, wenn sein SHA-256-Fingerabdruck dieser ist, und speichert es in der Known-Hosts-Datei
monitor-cli-help-monitor-known-hosts = Die Known-Hosts-Datei (sonst known_hosts im Konfigurationsordner des Monitors)
monitor-cli-help-monitor-show = Zeigt das Fenster des laufenden Monitors (oder startet einen sichtbar)
monitor-cli-help-monitor-hide = Verbirgt das Fenster des laufenden Monitors (oder startet einen verborgen)
monitor-cli-help-monitor-lang = Die Sprache der Texte (en-US, de-DE); sonst die des Systems
monitor-cli-clap-help = Hilfe anzeigen
monitor-cli-clap-help-more = Hilfe anzeigen (ausführlicher mit „--help“)
monitor-cli-clap-help-summary = Hilfe anzeigen (kürzer mit „-h“)
monitor-cli-clap-version = Version anzeigen
monitor-cli-clap-help-command = Diese Hilfe oder die Hilfe des angegebenen Befehls anzeigen
monitor-cli-clap-usage = Aufruf:
monitor-cli-clap-commands = Befehle
monitor-cli-clap-arguments = Argumente
monitor-cli-clap-options = Optionen
monitor-cli-clap-options-word = OPTIONEN
monitor-cli-clap-command-word = BEFEHL
monitor-cli-clap-default = [Vorgabe: { $value }]
monitor-cli-clap-error-unknown-argument = Unbekanntes Argument { $arg }; siehe `{ $program } --help`.
monitor-cli-clap-error-invalid-value = Ungültiger Wert „{ $value }“ für { $arg }; siehe `{ $program } --help`.
monitor-cli-clap-error-missing-argument = { $arg } fehlt; siehe `{ $program } --help`.
monitor-cli-clap-error-unknown-command = Unbekannter Befehl { $command }; siehe `{ $program } --help`.
monitor-cli-clap-error-other = Die Befehlszeile ist ungültig; siehe `{ $program } --help`.
monitor-cli-clap-value-address = ADRESSE
monitor-cli-clap-value-account = KONTO
monitor-cli-clap-value-path = PFAD
monitor-cli-clap-value-sha256 = SHA256
monitor-cli-clap-value-lang = SPRACHE

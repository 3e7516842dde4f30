## Befehlszeile und Start des Knotens

cli-error = { $message }
cli-initialised = Der Datenordner { $dir } ist bereit.
cli-cert-fingerprint = TLS-Zertifikat { $path }, SHA-256-Fingerabdruck { $fingerprint } (vergleichen Sie ihn mit dem, was Ihr Mailprogramm anzeigt, bevor Sie ihm vertrauen).
cli-already-initialised = Der Datenordner { $dir } existiert bereits; nichts wurde geändert.
cli-account-added = Konto { $address } angelegt.
cli-account-removed = Konto { $address } und alle seine Nachrichten entfernt.
cli-password-changed = Passwort von { $address } geändert.
cli-quota-set = { $address } darf jetzt { $mib } MiB Mail behalten.
cli-quota-cleared = { $address } hat jetzt kein eigenes Kontingent mehr (es gilt limits.default_quota_mib).
cli-quota-bad = { $value } ist keine Größe: MiB angeben (eine ganze Zahl über 0) oder none.
cli-password-prompt = Passwort für { $address }:
cli-password-repeat = Passwort wiederholen:
cli-password-mismatch = Die Passwörter stimmen nicht überein.
cli-password-empty = Das Passwort ist leer.
cli-password-new-prompt = Neues Passwort für { $address }:
cli-password-short = Das Passwort ist zu kurz: Es braucht mindestens { $min } Zeichen (limits.min_password_length).
cli-remove-confirm = { $address } mit aller Post endgültig entfernen? Zum Fortfahren „ja“ eingeben:
cli-remove-confirm-word = ja
cli-remove-cancelled = Nichts wurde entfernt.
cli-remove-needs-yes = Das Entfernen von { $address } löscht alle seine Post; mit --yes bestätigen.
cli-account-removed-hosted = Das Dienstnetz führt { $address } weiter als auf diesem Knoten gehostet: An das Konto gesendete Post wird ab jetzt abgewiesen, und erneutes Hosten seines Profils auf diesem Knoten bringt das Konto (leer) zurück.
cli-no-accounts = Keine Konten.
cli-config-invalid = Konfiguration { $path }: { $message }
cli-bad-language = Unbekannte Sprache { $lang }; verfügbar: { $known }.
cli-bad-language-config = { $path }: [node] language = "{ $lang }" gibt es nicht; verfügbar: { $known } (oder leer für die Sprache des Systems).
cli-bad-branding = Branding-Datei { $message }
cli-bad-branding-colour = Branding-Datei { $path }: { $key } ist keine Farbe; schreiben Sie sie als #rrggbb oder #rgb.
cli-bad-branding-logo = Branding-Datei { $path }: Das Logo { $key } ist keine lesbare SVG-, PNG- oder JPEG-Datei von höchstens 512 KiB.
cli-not-initialised = { $dir } ist kein wims-Datenordner (zuerst `wims --data { $dir } init` ausführen).
cli-port-in-use = Port { $port } ({ $what }, { $addr }) ist schon von einem anderen Programm belegt. Beenden Sie dieses Programm oder geben Sie diesem Knoten in { $config } einen anderen Port.
cli-bind-failed = Kann nicht auf { $addr } ({ $what }) lauschen: { $reason }
cli-bad-listen = Ungültige Adresse { $addr } für { $what }.
cli-tls-failed = Das TLS-Zertifikat kann nicht geladen werden: { $reason }
cli-store-failed = Der Nachrichtenspeicher kann nicht geöffnet werden: { $reason }
cli-store-in-use = Ein anderer wims-Knoten benutzt den Datenordner { $dir }: Beenden Sie ihn zuerst oder geben Sie diesem Knoten mit --data einen eigenen Ordner.
cli-serving = { $product }-Knoten bedient { $what } auf { $addr }
cli-stopping = Wird beendet.
cli-stopped = Sauber beendet.
cli-io-failed = { $path }: { $reason }
cli-drop-passphrase-prompt = Ablage-Passphrase für { $address }:
cli-drop-enabled = { $address } darf jetzt über den Ablageordner senden.
cli-drop-disabled = { $address } kann nicht mehr über den Ablageordner senden.
cli-config-syntax-at = Zeile { $line }, Spalte { $column }: Das ist kein gültiges TOML ({ $message })
cli-config-unknown-key = Zeile { $line }: [{ $section }] hat keine Einstellung „{ $key }“
cli-config-unknown-key-suggest = Zeile { $line }: [{ $section }] hat keine Einstellung „{ $key }“; war „{ $suggestion }“ gemeint?
cli-config-unknown-top = Zeile { $line }: Es gibt keinen Abschnitt [{ $key }]
cli-config-unknown-top-suggest = Zeile { $line }: Es gibt keinen Abschnitt [{ $key }]; war [{ $suggestion }] gemeint?
cli-config-wrong-type = Zeile { $line }: [{ $section }] { $key } muss { $kind } sein
cli-config-kind-string = Text in Anführungszeichen
cli-config-kind-integer = eine ganze Zahl
cli-config-kind-number = eine Zahl
cli-config-kind-boolean = true oder false
cli-config-kind-date = ein Datum
cli-config-kind-list = eine Liste [ … ] der richtigen Art
cli-config-kind-table = ein Abschnitt
cli-config-log-level = log.level ist { $level }; erlaubt sind 0 (aus) bis 5 (alles)
cli-config-poll-interval = drop.poll_interval muss mindestens 1 Sekunde sein
cli-config-type-name = drop.types: { $type } ist kein gültiger Typname (a-z, 0-9 und - verwenden)
cli-log-level-set = Der laufende Knoten protokolliert jetzt mit Stufe { $level } (bis zum Neustart; log.level setzen, um sie zu behalten).
cli-not-running = Auf { $dir } läuft kein Knoten.

cli-config-overlay-addr = Overlay-Adresse { $addr } ist keine libp2p-Multiaddr.
cli-config-retry = delivery.retry_min muss mindestens 1 und höchstens delivery.retry_max sein.
cli-config-zero = { $key } muss mindestens 1 sein.
cli-overlay-failed = Das Overlay-Netz konnte nicht starten: { $reason }
cli-account-hosted = Das Konto { $address } wird auf diesem Knoten betrieben.
cli-no-receipts = Keine Empfangsbestätigungen.
cli-receipt-line = { $time }  { $recipient }  { $id }
# $title ist der Titel der Empfangsbestätigungen aus dem Branding, sonst cli-receipts-default-title.
cli-receipts-heading = { $title } für { $address }:
cli-receipts-default-title = { $product } – Empfangsbestätigungen

demo-ready = Vorführnetz läuft in { $dir } (Dienstserver { $service }).
demo-account = { $address }  Passwort { $password }  IMAP { $imap }  IMAPS { $imaps }  Submission { $submission }  Submissions { $submissions }  Webmail https://{ $web }/
demo-partners = alice@alpha.h und bob@beta.h sind Partner; carol@gamma.h ist keins von beidem, daher wird Post zwischen ihr und ihnen abgelehnt.
demo-welcome-sent = Begrüßungsnachricht an { $to } gesendet.
demo-welcome-receipt = { $to } hat sie erhalten; die signierte Empfangsbestätigung ist geprüft und die Kopie in „Gesendet“ trägt $Delivered.
demo-welcome-no-receipt = Noch keine Empfangsbestätigung für die Begrüßung; siehe die Protokolle im Vorführordner.
demo-welcome-failed = Die Begrüßungsnachricht konnte nicht gesendet werden: { $reason }
demo-stop-hint = Mit Strg-C beenden.
demo-welcome-subject = Willkommen in Ihrem privaten Mailnetz
demo-welcome-body = Hallo,

    diese Nachricht ging von { $from } an { $to } direkt von Knoten zu Knoten, Ende-zu-Ende verschlüsselt und signiert.
    Ihr Knoten hat bei Ankunft sofort eine signierte Empfangsbestätigung geschickt.
demo-no-port = Kein freier Port auf 127.0.0.1 für den Dienstserver.
demo-node-failed = Vorführknoten { $node } ist nicht gestartet: { $reason }
demo-node-exited = Der Vorführknoten { $node } wurde unerwartet beendet ({ $status }); seine letzte Zeile: { $reason }
demo-node-exited-silent = Der Vorführknoten { $node } wurde unerwartet beendet ({ $status }).
demo-node-restarted = Der Vorführknoten { $node } läuft wieder, auf denselben Ports.
demo-node-restarts = er wurde binnen fünf Minuten { $count }-mal beendet, daher hält die Vorführung an

## Hilfe der Befehlszeile (`wims --help`): ein Text je Befehl (cli-help-PFAD) und je Argument
## (cli-help-PFAD-ARGUMENT); cli-help-PFAD-long ist der längere Text, den `--help` zeigt.

cli-help-wims = Der wims-Knoten: betreibt Mailkonten, bietet IMAP und SMTP-Submission an und stellt Ende-zu-Ende verschlüsselte Post zu
cli-help-wims-long = Der wims-Knoten: betreibt Mailkonten, bietet Mailprogrammen IMAP und SMTP-Submission an und stellt Ende-zu-Ende verschlüsselte Post an andere Knoten zu.

    Ohne --data liegen seine Daten in $WIMS_DATA, sonst in $XDG_DATA_HOME/wims, sonst in ~/.local/share/wims. Die Kontobefehle funktionieren, ob der Knoten läuft oder nicht.
cli-help-wims-data = Datenordner des Knotens (Vorgabe: $WIMS_DATA, sonst $XDG_DATA_HOME/wims, sonst ~/.local/share/wims; für demo ein temporärer Ordner, der am Ende entfernt wird)
cli-help-wims-log-level = Protokollstufe 0 (aus) .. 5 (alles); ersetzt log.level
cli-help-wims-lang = Sprache der Meldungen (en-US, de-DE; „de“ genügt); ersetzt node.language und die Spracheinstellung des Systems
cli-help-init = Datenordner anlegen: Konfiguration, Schlüssel und ein selbstsigniertes TLS-Zertifikat
cli-help-run = IMAP und SMTP-Submission bereitstellen, bis der Knoten unterbrochen wird (SIGINT oder SIGTERM)
cli-help-account = Konten des Knotens verwalten
cli-help-account-add = Ein lokales Konto anlegen
cli-help-account-add-address = Adresse des neuen Kontos, name@domäne
cli-help-account-add-password-stdin = Das Passwort von der Standardeingabe lesen, statt danach zu fragen
cli-help-account-list = Konten auflisten
cli-help-account-host = Ein Konto eines Dienstnetzes auf diesem Knoten betreiben, aus seiner Kontoprofil-Datei
cli-help-account-host-profile = Die Kontoprofil-Datei, die der Betreiber des Netzes ausgegeben hat
cli-help-account-host-password-stdin = Das Passwort von der Standardeingabe lesen, statt danach zu fragen
cli-help-account-passwd = Das Passwort eines Kontos ändern
cli-help-account-passwd-address = Adresse des Kontos
cli-help-account-passwd-password-stdin = Das neue Passwort von der Standardeingabe lesen, statt danach zu fragen
cli-help-account-remove = Ein Konto mit all seinen Nachrichten entfernen
cli-help-account-remove-address = Adresse des Kontos
cli-help-account-remove-yes = Ohne Rückfrage entfernen (für Skripte)
cli-help-account-quota = Festlegen, wie viel Mail ein Konto behalten darf (IMAP QUOTA)
cli-help-account-quota-address = Die Adresse des Kontos
cli-help-account-quota-mib = Die Grenze in MiB, oder none für die Vorgabe des Knotens (limits.default_quota_mib)
cli-help-account-drop = Senden über den XML-Ablageordner
cli-help-account-drop-enable = Dem Konto das Senden über den Ablageordner erlauben, mit einer Passphrase, die jede Ablagedatei enthalten muss
cli-help-account-drop-enable-address = Adresse des Kontos
cli-help-account-drop-enable-passphrase-stdin = Die Passphrase von der Standardeingabe lesen, statt danach zu fragen
cli-help-account-drop-enable-rate-per-hour = Nachrichten pro Stunde über den Ablageordner (Vorgabe: drop.rate_per_hour)
cli-help-account-drop-disable = Dem Konto das Senden über den Ablageordner wieder verbieten
cli-help-account-drop-disable-address = Adresse des Kontos
cli-help-receipts = Die signierten Empfangsbestätigungen zu den gesendeten Nachrichten eines Kontos auflisten
cli-help-receipts-address = Adresse des sendenden Kontos
cli-help-demo = Ein Vorführnetz auf der Loopback-Schnittstelle starten: ein Dienstserver, zwei Knoten und drei Konten, bis es unterbrochen wird; mit --data bleiben Zustand und Ports dort für den nächsten Lauf
cli-help-log-level = Die Protokollstufe des laufenden Knotens bis zu seinem Neustart ändern
cli-help-log-level-level = Die neue Stufe, 0 (aus) .. 5 (alles)
cli-help-update = Vom Dienstnetz angekündigte Versionen
cli-help-update-check = Beim Dienstnetz nachfragen, ob eine neuere Version von wims erschienen ist

cli-clap-help = Hilfe anzeigen
cli-clap-help-more = Hilfe anzeigen (ausführlicher mit „--help“)
cli-clap-help-summary = Hilfe anzeigen (kürzer mit „-h“)
cli-clap-version = Version anzeigen
cli-clap-help-command = Diese Hilfe oder die Hilfe des angegebenen Befehls anzeigen
cli-clap-usage = Aufruf:
cli-clap-commands = Befehle
cli-clap-arguments = Argumente
cli-clap-options = Optionen
cli-clap-options-word = OPTIONEN
cli-clap-command-word = BEFEHL
cli-clap-default = [Vorgabe: { $value }]
cli-clap-error-unknown-argument = Unbekanntes Argument { $arg }; siehe `{ $program } --help`.
cli-clap-error-invalid-value = Ungültiger Wert „{ $value }“ für { $arg }; siehe `{ $program } --help`.
cli-clap-error-missing-argument = { $arg } fehlt; siehe `{ $program } --help`.
cli-clap-error-unknown-command = Unbekannter Befehl { $command }; siehe `{ $program } --help`.
cli-clap-error-other = Die Befehlszeile ist ungültig; siehe `{ $program } --help`.
cli-clap-value-address = ADRESSE
cli-clap-value-dir = ORDNER
cli-clap-value-lang = SPRACHE
cli-clap-value-text = TEXT
cli-clap-value-file = DATEI
cli-clap-value-type = TYP
cli-clap-value-profile = PROFIL

## wims send
cli-help-send = Eine Nachricht von einem Konto dieses Knotens senden (der Knoten muss laufen) und den Fortschritt jeder Kopie zeigen, bis sie zugestellt oder übergeben ist
cli-help-send-from = Adresse des sendenden Kontos
cli-help-send-to = Ein Empfänger (für mehrere wiederholen)
cli-help-send-cc = Ein Empfänger in Kopie (für mehrere wiederholen)
cli-help-send-subject = Der Betreff
cli-help-send-body = Der Nachrichtentext
cli-help-send-body-file = Den Nachrichtentext aus dieser Datei lesen (UTF-8)
cli-help-send-message-type = Die Nachrichtenart: message, fax, invoice, statement, remittance oder eine in der Konfiguration des Knotens ergänzte
cli-help-send-attach = Diese Datei anhängen (für mehrere wiederholen); sie wird dort gelesen, wo sie liegt, in jeder Größe
cli-help-send-no-wait = Zurückkehren, sobald die Nachricht eingereiht ist, ohne auf den Versand zu warten
cli-send-body-file = Der Nachrichtentext aus { $path } ist nicht lesbar: { $reason }
cli-send-not-running = Der Knoten läuft nicht; zum Senden mit „wims run“ starten.
cli-send-filed-local = An { $address } auf diesem Knoten zugestellt.
cli-send-queued = Nachricht { $id } zur Zustellung eingereiht.
cli-send-delivered = { $address }: zugestellt, Empfangsbestätigung erhalten.
cli-send-handed-off = { $address }: an die Dienstserver des Empfängers übergeben; die Empfangsbestätigung folgt, wenn der Knoten des Empfängers sie abholt.
cli-send-dropped = { $address }: endgültig abgelehnt; siehe das Protokoll des Knotens.
cli-send-phase-queued = wartet
cli-send-phase-sealing = verschlüsselt
cli-send-phase-uploading = sendet
cli-send-phase-servers = sendet an die Server des Empfängers
cli-config-too-large = { $key } darf höchstens { $max } sein.
cli-help-monitor-token = Ein Betreiber-Token für den Monitor-Zugang erzeugen: Ein Monitor, der sich damit anmeldet, sieht die Aufträge aller Konten. Das Token wird einmal angezeigt; der Knoten behält nur einen Hash davon
cli-help-monitor-token-replace = Alle früheren Tokens widerrufen
cli-help-monitor-token-revoke-all = Alle Tokens widerrufen und kein neues erzeugen
cli-monitor-token-made = Betreiber-Token für Monitore dieses { $product }-Knotens (nur jetzt sichtbar; wie ein Passwort aufbewahren):
cli-monitor-token-revoked = Alle Betreiber-Tokens des Monitor-Zugangs sind widerrufen.

cli-help-rules = Nachrichtenregeln: die Sieve-Skripte eines Kontos, eines davon aktiv (docs/rules.md)
cli-help-rules-list = Die Skripte eines Kontos auflisten; das aktive ist mit * markiert
cli-help-rules-list-address = Die Adresse des Kontos
cli-help-rules-show = Eines der Skripte eines Kontos ausgeben
cli-help-rules-show-address = Die Adresse des Kontos
cli-help-rules-show-name = Der Name des Skripts
cli-help-rules-put = Ein Skript für ein Konto aufbewahren, sobald es die Prüfung besteht (ersetzt eines gleichen Namens)
cli-help-rules-put-address = Die Adresse des Kontos
cli-help-rules-put-name = Der Name des Skripts
cli-help-rules-put-file = Die Datei mit dem Skript
cli-help-rules-put-activate = Es auch zum aktiven Skript machen
cli-help-rules-activate = Eines der Skripte eines Kontos zum aktiven machen
cli-help-rules-activate-address = Die Adresse des Kontos
cli-help-rules-activate-name = Der Name des Skripts
cli-help-rules-off = Die Regeln eines Kontos ausschalten (kein Skript aktiv)
cli-help-rules-off-address = Die Adresse des Kontos
cli-help-rules-remove = Eines der Skripte eines Kontos entfernen (nicht das aktive)
cli-help-rules-remove-address = Die Adresse des Kontos
cli-help-rules-remove-name = Der Name des Skripts
cli-help-rules-check = Eine Skriptdatei gegen die Regelgrenzen dieses Knotens prüfen, ohne sie aufzubewahren
cli-help-rules-check-file = Die Datei mit dem Skript
cli-rules-none = { $address } hat keine Skripte.
cli-rules-line = { $active ->
    [yes] *
   *[no] { " " }
} { $name } ({ $size } Bytes)
cli-rules-kept = Skript { $name } von { $address } aufbewahrt.
cli-rules-kept-active = Skript { $name } von { $address } aufbewahrt; es ist jetzt das aktive.
cli-rules-activated = Skript { $name } ist jetzt das aktive von { $address }.
cli-rules-off = { $address } hat jetzt keine aktiven Regeln.
cli-rules-removed = Skript { $name } von { $address } entfernt.
cli-rules-checks = { $path }: Das Skript besteht die Prüfung.
cli-rules-check-failed = { $path }: { $problem }

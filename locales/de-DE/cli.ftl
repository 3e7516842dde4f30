## Befehlszeile und Start des Knotens

cli-error = { $message }
cli-initialised = Der Datenordner { $dir } ist bereit.
cli-already-initialised = Der Datenordner { $dir } existiert bereits; nichts wurde geändert.
cli-account-added = Konto { $address } angelegt.
cli-account-removed = Konto { $address } und alle seine Nachrichten entfernt.
cli-password-changed = Passwort von { $address } geändert.
cli-account-exists = Das Konto { $address } existiert bereits.
cli-no-account = Es gibt kein Konto { $address }.
cli-invalid-address = { $address } ist keine gültige Adresse (erwartet: name@domäne).
cli-password-prompt = Passwort für { $address }:
cli-password-repeat = Passwort wiederholen:
cli-password-mismatch = Die Passwörter stimmen nicht überein.
cli-password-empty = Das Passwort ist leer.
cli-no-accounts = Keine Konten.
cli-bad-config = Konfiguration { $message }
cli-bad-language = Unbekannte Sprache { $lang }; verfügbar: { $known }.
cli-bad-branding = Branding-Datei { $message }
cli-not-initialised = { $dir } ist kein wims-Datenordner (zuerst `wims --data { $dir } init` ausführen).
cli-bind-failed = Kann nicht auf { $addr } ({ $what }) lauschen: { $reason }
cli-bad-listen = Ungültige Adresse { $addr } für { $what }.
cli-tls-failed = Das TLS-Zertifikat kann nicht geladen werden: { $reason }
cli-store-failed = Der Nachrichtenspeicher kann nicht geöffnet werden: { $reason }
cli-serving = { $product }-Knoten bedient { $what } auf { $addr }
cli-stopping = Wird beendet.
cli-stopped = Sauber beendet.
cli-io-failed = { $path }: { $reason }
cli-drop-passphrase-prompt = Ablage-Passphrase für { $address }:
cli-drop-enabled = { $address } darf jetzt über den Ablageordner senden.
cli-drop-disabled = { $address } kann nicht mehr über den Ablageordner senden.
cli-config-syntax = { $message }
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
cli-bad-profile = Kein brauchbares Kontoprofil: { $reason }
cli-host-refused = Das Dienstnetz hat das Konto abgelehnt: { $reason }
cli-network-unreachable = Das Dienstnetz ist nicht erreichbar: { $reason }
cli-no-receipts = Keine Empfangsbestätigungen.
cli-receipt-line = { $time }  { $recipient }  { $id }
# $title ist der Titel der Empfangsbestätigungen aus dem Branding, sonst cli-receipts-default-title.
cli-receipts-heading = { $title } für { $address }:
cli-receipts-default-title = { $product } – Empfangsbestätigungen
cli-update-available = Neue Version verfügbar: { $version } — { $url } — { $notes }
cli-update-up-to-date = Auf dem neuesten Stand ({ $version })
cli-update-no-network = Kein Dienstnetz (kein gehostetes Konto)
cli-update-unverified = Die Versionsankündigung des Dienstnetzes ist nicht gültig signiert und wurde verworfen: { $reason }
cli-update-remembered-available = Neue Version verfügbar: { $version } — { $url } — { $notes } (zuletzt geprüfte Ankündigung, abgerufen { $fetched }; das Dienstnetz ist gerade nicht erreichbar: { $reason })
cli-update-remembered-up-to-date = Auf dem neuesten Stand ({ $running }) laut der zuletzt geprüften Ankündigung ({ $version }, abgerufen { $fetched }); das Dienstnetz ist gerade nicht erreichbar: { $reason }

demo-ready = Vorführnetz läuft in { $dir } (Dienstserver { $service }).
demo-account = { $address }  Passwort { $password }  IMAP { $imap }  IMAPS { $imaps }  Submission { $submission }  Submissions { $submissions }
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

## Hilfe der Befehlszeile (`wims --help`): ein Text je Befehl (cli-help-PFAD) und je Argument
## (cli-help-PFAD-ARGUMENT); cli-help-PFAD-long ist der längere Text, den `--help` zeigt.

cli-help-wims = Der wims-Knoten: betreibt Mailkonten, bietet IMAP und SMTP-Submission an und stellt Ende-zu-Ende verschlüsselte Post zu
cli-help-wims-long = Der wims-Knoten: betreibt Mailkonten, bietet Mailprogrammen IMAP und SMTP-Submission an und stellt Ende-zu-Ende verschlüsselte Post an andere Knoten zu.

    Ohne --data liegen seine Daten in $WIMS_DATA, sonst in $XDG_DATA_HOME/wims, sonst in ~/.local/share/wims. Die Kontobefehle funktionieren, ob der Knoten läuft oder nicht.
cli-help-wims-data = Datenordner des Knotens (Vorgabe: $WIMS_DATA, sonst ~/.local/share/wims)
cli-help-wims-log-level = Protokollstufe 0 (aus) .. 5 (alles); ersetzt log.level
cli-help-wims-lang = Sprache der Meldungen; ersetzt node.language
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
cli-help-account-drop = Senden über den XML-Ablageordner
cli-help-account-drop-enable = Dem Konto das Senden über den Ablageordner erlauben, mit einer Passphrase, die jede Ablagedatei enthalten muss
cli-help-account-drop-enable-address = Adresse des Kontos
cli-help-account-drop-enable-passphrase-stdin = Die Passphrase von der Standardeingabe lesen, statt danach zu fragen
cli-help-account-drop-enable-rate-per-hour = Nachrichten pro Stunde über den Ablageordner (Vorgabe: drop.rate_per_hour)
cli-help-account-drop-disable = Dem Konto das Senden über den Ablageordner wieder verbieten
cli-help-account-drop-disable-address = Adresse des Kontos
cli-help-receipts = Die signierten Empfangsbestätigungen zu den gesendeten Nachrichten eines Kontos auflisten
cli-help-receipts-address = Adresse des sendenden Kontos
cli-help-demo = Ein Vorführnetz auf der Loopback-Schnittstelle starten: ein Dienstserver, zwei Knoten und drei Konten, bis es unterbrochen wird
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
cli-send-no-account = Kein Konto { $address } auf diesem Knoten.
cli-send-bad-address = Keine gültige Adresse: { $address }
cli-send-no-recipients = Die Nachricht hat keine Empfänger.
cli-send-unknown-type = Unbekannte Nachrichtenart: { $address }
cli-send-not-partner = { $address } gehört weder zur Domäne des Absenders noch zu einem Partner.
cli-send-unknown-recipient = Das Netz kennt kein Konto { $address }.
cli-send-network-unavailable = Das Dienstnetz war nicht erreichbar, um { $address } zu prüfen; später erneut versuchen.
cli-send-attachment = { $path } kann nicht angehängt werden: { $reason }
cli-send-delivered = { $address }: zugestellt, Empfangsbestätigung erhalten.
cli-send-handed-off = { $address }: an die Dienstserver des Empfängers übergeben; die Empfangsbestätigung folgt, wenn der Knoten des Empfängers sie abholt.
cli-send-dropped = { $address }: endgültig abgelehnt; siehe das Protokoll des Knotens.
cli-send-phase-queued = wartet
cli-send-phase-sealing = verschlüsselt
cli-send-phase-uploading = sendet
cli-send-phase-servers = sendet an die Server des Empfängers

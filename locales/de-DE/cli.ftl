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
cli-overlay-failed = Das Overlay-Netz konnte nicht starten: { $reason }
cli-account-hosted = Das Konto { $address } wird auf diesem Knoten betrieben.
cli-bad-profile = Kein brauchbares Kontoprofil: { $reason }
cli-host-refused = Das Dienstnetz hat das Konto abgelehnt: { $reason }
cli-network-unreachable = Das Dienstnetz ist nicht erreichbar: { $reason }
cli-no-receipts = Keine Empfangsbestätigungen.
cli-receipt-line = { $time }  { $recipient }  { $id }
cli-update-available = Neue Version verfügbar: { $version } — { $url } — { $notes }
cli-update-up-to-date = Auf dem neuesten Stand ({ $version })
cli-update-no-network = Kein Dienstnetz (kein gehostetes Konto)
cli-update-unverified = Die Versionsankündigung des Dienstnetzes ist nicht gültig signiert und wurde verworfen: { $reason }

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

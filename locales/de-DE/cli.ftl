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

## Warum eine Datei im XML-Ablageordner nicht gesendet wurde. Steht in NAME.error.txt neben
## der Datei in rejected/; je eine Zeile.

drop-file-too-large = Die Datei ist { $size } Bytes groß; der Ablageordner nimmt höchstens { $limit } Bytes an.
drop-encoding = Die Datei ist kein UTF-8- oder UTF-16-Text.
drop-malformed = Die Datei ist kein gültiges Ablage-XML: { $detail }
drop-malformed-at = Die Datei ist in Zeile { $line }, Spalte { $column } kein gültiges XML ({ $detail }); schreiben Sie ein einzelnes & als &amp; und < als &lt;.
drop-unknown-element = Zeile { $line }: <{ $name }> gehört an dieser Stelle nicht in eine Ablagedatei (Elemente und ihr Platz: docs/drop-folder.md).
drop-unclosed-element = Zeile { $line }: <{ $name }> wird nie geschlossen.
drop-missing = Das Element <{ $field }> fehlt oder ist leer.
drop-bad-address = „{ $address }“ ist keine gültige Adresse (erwartet name@domain).
drop-unknown-type = Unbekannter Nachrichtentyp „{ $type }“; bekannte Typen: { $known }.
drop-bad-send-at = „{ $value }“ ist kein gültiger Sendezeitpunkt (erwartet z. B. 2030-01-31T09:00:00+01:00).
drop-attachment-outside = Der Anhang { $path } ist keine Datei im Anhangsordner { $folder } (Verknüpfungen werden nicht verfolgt).
drop-no-account = { $address } ist kein Konto auf diesem Knoten.
drop-disabled = Das Senden über den Ablageordner ist für { $address } nicht freigeschaltet (wims account drop enable).
drop-wrong-passphrase = Die Ablage-Passphrase für { $address } ist falsch.
drop-passphrase-throttled = Zu viele falsche Drop-Passphrasen für { $address } in letzter Zeit; die Datei wurde nicht geprüft. Bitte in einigen Minuten erneut senden.
drop-not-local = Der Empfänger { $address } ist kein Konto auf diesem Knoten und auch keines in seinem Mailnetz.
drop-rate-limited = { $address } hat in der letzten Stunde bereits { $limit } Nachrichten über den Ablageordner gesendet.
drop-attachment-missing = Der Anhang { $path } existiert nicht oder ist keine Datei.
drop-attachment-unreadable = Der Anhang { $path } kann nicht gelesen werden: { $reason }
drop-attachment-too-large = Der Anhang { $path } ist größer als die Grenze von { $limit } Bytes.
drop-not-partner = Der Empfänger { $address } gehört weder zu Ihrer Domäne noch zu Ihren Partnern in diesem Netz; Post dorthin ist nicht erlaubt.

## Antworten des SMTP-Einlieferungsservers. Der Server stellt den Zahlencode und den erweiterten
## Statuscode (z. B. "550 5.1.1") voran; jeder Text bleibt eine Zeile, außer wo vermerkt.

# Nach "220 <hostname> ESMTP".
smtp-greeting = { $product } Nachrichteneinlieferung bereit
# Nach "250 <hostname>" als Antwort auf EHLO/HELO.
smtp-hello = Hallo { $client }
smtp-bye = Auf Wiedersehen
smtp-ok = OK
smtp-reset = Vorgang zurückgesetzt
smtp-vrfy = Adressen können nicht geprüft werden; eine Nachricht senden, um die Zustellung zu sehen
# Darf mehrere Zeilen umfassen.
smtp-help =
    { $product } Nachrichteneinlieferung. Befehle:
    EHLO HELO STARTTLS AUTH MAIL RCPT DATA BDAT RSET NOOP VRFY HELP QUIT
smtp-unknown-command = Befehl nicht erkannt
smtp-not-implemented = Befehl nicht implementiert
smtp-syntax = Syntax: { $syntax }
smtp-syntax-error = Syntaxfehler
smtp-line-too-long = Zeile zu lang
smtp-param-invalid = Ungültiger Wert für den Parameter { $param }
smtp-param-unsupported = Der Parameter { $param } wird nicht unterstützt
smtp-too-many-errors = Zu viele Fehler; die Verbindung wird geschlossen
smtp-timeout = Zu lange keine Eingabe; die Verbindung wird geschlossen

smtp-starttls = Bereit für TLS
smtp-tls-active = TLS ist bereits aktiv
smtp-need-tls = Zuerst STARTTLS senden
smtp-need-ehlo = Zuerst EHLO senden

smtp-auth-needs-tls = Anmeldung nur verschlüsselt; zuerst STARTTLS senden
smtp-auth-already = Bereits angemeldet
smtp-auth-in-transaction = AUTH ist während eines Vorgangs nicht erlaubt
smtp-auth-mechanism = Nicht unterstütztes Anmeldeverfahren; PLAIN oder LOGIN verwenden
smtp-auth-bad-encoding = Die Anmeldeantwort kann nicht dekodiert werden
smtp-auth-cancelled = Anmeldung abgebrochen
smtp-auth-line-too-long = Anmeldezeile zu lang
smtp-auth-ok = Anmeldung erfolgreich
smtp-auth-failed = Anmeldedaten ungültig
smtp-auth-unavailable = Anmeldung vorübergehend nicht möglich; später erneut versuchen
smtp-auth-too-many = Zu viele fehlgeschlagene Anmeldungen; die Verbindung wird geschlossen
smtp-need-auth = Anmeldung erforderlich

smtp-nested-mail = Ein Vorgang läuft bereits; zuerst RSET senden
smtp-bad-sender = Ungültige Absenderadresse
smtp-sender-not-owned = Der Absender { $address } ist nicht das angemeldete Konto { $account }
smtp-sender-ok = Absender { $address } OK
smtp-need-smtputf8 = Nicht-ASCII-Adresse ohne den Parameter SMTPUTF8
smtp-need-mail = Zuerst MAIL senden
smtp-bad-recipient = Ungültige Empfängeradresse
smtp-recipient-ok = Empfänger { $address } OK
smtp-recipient-not-local = { $address } ist kein Konto auf { $host }; Nachrichten können nur an Konten dieses Knotens gehen
smtp-too-many-recipients = Zu viele Empfänger; höchstens { $max } pro Nachricht
smtp-rcpt-after-data = Nach Beginn der Nachricht können keine Empfänger hinzugefügt werden

smtp-no-recipients = Keine gültigen Empfänger
smtp-data-after-bdat = DATA kann im selben Vorgang nicht auf BDAT folgen
smtp-data-go-ahead = Nachricht senden; mit einer Zeile beenden, die nur einen Punkt enthält
smtp-chunk-ok = { $size } Oktette empfangen
smtp-too-big = Die Nachricht ist größer als die Grenze von { $max } Oktetten
smtp-delivered = Nachricht zugestellt
smtp-queued = Nachricht angenommen und zur Zustellung eingereiht
smtp-forged-sender = Die Kopfzeilen From und Sender müssen Ihr Konto { $address } nennen und niemanden sonst
smtp-local-error = Lokaler Fehler bei der Verarbeitung; später erneut versuchen
smtp-recipient-not-partner = { $address } gehört weder zu Ihrer Domäne noch zu Ihren Partnern in diesem Netz; Post dorthin ist nicht erlaubt
smtp-network-unavailable = Das Mailnetz ist gerade nicht erreichbar; bitte später erneut versuchen

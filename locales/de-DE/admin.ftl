# Warum ein Verwaltungsbefehl scheiterte: die Befehlszeile und die Betreiberseiten der Weboberfläche sagen dies.

admin-account-exists = Das Konto { $address } existiert bereits.
admin-bad-profile = Kein brauchbares Kontoprofil: { $reason }
admin-host-refused = Das Dienstnetz hat das Hosten von { $address } abgelehnt: { $reason }
admin-host-refused-proof = Das Dienstnetz hat das Hosten von { $address } abgelehnt: Das Hosting-Geheimnis des Profils passt nicht oder wurde schon von einem anderen Knoten benutzt. Bitten Sie den Betreiber des Dienstes um ein neues Profil.
admin-host-refused-unknown = Das Dienstnetz kennt { $address } nicht: Das Konto wurde dort nie angelegt oder ist gesperrt.
admin-invalid-address = { $address } ist keine gültige Adresse (erwartet: name@domäne).
admin-network-unreachable = Das Dienstnetz ist nicht erreichbar: Läuft sein Server, und ist er von hier unter den Adressen des Profils erreichbar? (Das Protokoll auf Stufe 4 nennt jeden Versuch.)
admin-no-account = Es gibt kein Konto { $address }.
admin-request-too-large = Der Befehl ist größer, als der Knoten annimmt ({ $mib } MiB); einen langen Text als Dateianhang senden.
admin-send-attachment = { $path } kann nicht angehängt werden: { $reason }
admin-send-attachment-unusable = { $path } lässt sich nicht anhängen: Es ist keine gewöhnliche Datei, die dieser Knoten lesen darf, oder sie ist zu groß.
admin-send-bad-address = Keine gültige Adresse: { $address }
admin-send-network-unavailable = Das Dienstnetz war nicht erreichbar, um { $address } zu prüfen; später erneut versuchen.
admin-send-no-account = Kein Konto { $address } auf diesem Knoten.
admin-send-no-recipients = Die Nachricht hat keine Empfänger.
admin-send-not-partner = { $address } gehört weder zur Domäne des Absenders noch zu einem Partner.
admin-send-unknown-recipient = Das Netz kennt kein Konto { $address }.
admin-send-unknown-type = Unbekannte Nachrichtenart: { $address }
admin-update-unverified = Die Versionsankündigung des Dienstnetzes ist nicht gültig signiert und wurde verworfen: { $reason }
admin-failed = Der Knoten konnte es nicht ausführen: { $reason }
admin-not-running = Dafür muss der Knoten laufen: Starten Sie ihn mit wims run.

# Was eine Suche nach einer neueren Version ergab.
admin-update-available = Neue Version verfügbar: { $version } — { $url } — { $notes }
admin-update-up-to-date = Auf dem neuesten Stand ({ $version })
admin-update-no-network = Kein Dienstnetz (kein gehostetes Konto)
admin-update-remembered-available = Neue Version verfügbar: { $version } — { $url } — { $notes } (zuletzt geprüfte Ankündigung, abgerufen { $fetched }; das Dienstnetz ist gerade nicht erreichbar: { $reason })
admin-update-remembered-up-to-date = Auf dem neuesten Stand ({ $running }) laut der zuletzt geprüften Ankündigung ({ $version }, abgerufen { $fetched }); das Dienstnetz ist gerade nicht erreichbar: { $reason }

# Die Regeln eines Kontos (Sieve-Skripte). $name ist der Name des Skripts.
admin-rules-bad-name = „{ $name }“ kann kein Skriptname sein: Er darf nicht leer, länger als 128 Zeichen sein oder ein Steuerzeichen oder „/“ enthalten.
admin-rules-too-large = Das Skript { $name } ist größer, als der Knoten aufbewahrt (rules.max_script_size).
admin-rules-too-many = { $address } hat so viele Skripte, wie es darf (rules.max_scripts); entfernen Sie zuerst eines.
admin-rules-no-script = { $address } hat kein Skript { $name }.
admin-rules-active = Das Skript { $name } ist das aktive: Aktivieren Sie zuerst ein anderes oder schalten Sie die Regeln aus, bevor Sie es entfernen.
admin-rules-exists = { $address } hat schon ein Skript { $name }.
# Ein Skript, das die Prüfung nicht besteht: wo, dann was.
admin-rules-invalid = Zeile { $line }, Spalte { $column }: { $what }
admin-rules-invalid-somewhere = { $what }
admin-rules-unexpected = „{ $found }“ ist hier nicht erlaubt.
admin-rules-unexpected-end = Das Skript endet, bevor ein Befehl vollständig ist.
admin-rules-unterminated = Eine Zeichenkette, ein Kommentar oder ein Block wird nicht geschlossen.
admin-rules-too-long = Das Skript oder eine Zeichenkette oder ein Name darin ist länger, als der Knoten annimmt.
admin-rules-too-deep = Blöcke oder Tests sind zu tief verschachtelt, oder das Skript bindet zu viele andere ein.
admin-rules-extension = Die Erweiterung „{ $name }“ wird ohne require benutzt, oder dieser Knoten bietet sie nicht an.
admin-rules-invalid-value = Ein Wert ist hier nicht gültig ({ $detail }).

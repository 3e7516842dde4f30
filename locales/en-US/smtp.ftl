## SMTP submission server replies. The server adds the numeric code and the enhanced status
## code (e.g. "550 5.1.1") in front; keep each text to one line unless noted.

# After "220 <hostname> ESMTP".
smtp-greeting = { $product } mail submission ready
# After "250 <hostname>" in reply to EHLO/HELO.
smtp-hello = Hello { $client }
smtp-bye = Goodbye
smtp-ok = OK
smtp-reset = Transaction reset
smtp-vrfy = Cannot verify addresses; send a message to find out whether it is delivered
# May span several lines.
smtp-help =
    { $product } mail submission. Commands:
    EHLO HELO STARTTLS AUTH MAIL RCPT DATA BDAT RSET NOOP VRFY HELP QUIT
smtp-unknown-command = Command not recognised
smtp-not-implemented = Command not implemented
smtp-syntax = Syntax: { $syntax }
smtp-syntax-error = Syntax error
smtp-line-too-long = Line too long
smtp-param-invalid = Invalid value for the { $param } parameter
smtp-param-unsupported = The { $param } parameter is not supported
smtp-too-many-errors = Too many errors; closing the connection
smtp-timeout = No input for too long; closing the connection

smtp-starttls = Ready to start TLS
smtp-tls-active = TLS is already active
smtp-need-tls = Must issue a STARTTLS command first
smtp-need-ehlo = Send EHLO first

smtp-auth-needs-tls = Encryption required for authentication; issue STARTTLS first
smtp-auth-already = Already authenticated
smtp-auth-in-transaction = AUTH is not allowed during a mail transaction
smtp-auth-mechanism = Unsupported authentication mechanism; use PLAIN or LOGIN
smtp-auth-bad-encoding = Cannot decode the authentication response
smtp-auth-cancelled = Authentication cancelled
smtp-auth-line-too-long = Authentication line too long
smtp-auth-ok = Authentication successful
smtp-auth-failed = Authentication credentials invalid
smtp-auth-unavailable = Authentication temporarily unavailable; try again later
smtp-auth-too-many = Too many failed logins; closing the connection
smtp-need-auth = Authentication required

smtp-nested-mail = A transaction is already in progress; send RSET first
smtp-bad-sender = Invalid sender address
smtp-sender-not-owned = The sender { $address } is not the authenticated account { $account }
smtp-sender-ok = Sender { $address } OK
smtp-need-smtputf8 = Non-ASCII address without the SMTPUTF8 parameter
smtp-need-mail = Send MAIL first
smtp-bad-recipient = Invalid recipient address
smtp-recipient-ok = Recipient { $address } OK
smtp-recipient-not-local = { $address } is not an account on { $host }; mail can only go to accounts hosted on this node
smtp-too-many-recipients = Too many recipients; at most { $max } per message
smtp-rcpt-after-data = Recipients cannot be added once the message has started

smtp-no-recipients = No valid recipients
smtp-data-after-bdat = DATA cannot follow BDAT in the same transaction
smtp-data-go-ahead = Send the message; end it with a line holding only a dot
smtp-chunk-ok = { $size } octets received
smtp-too-big = The message is larger than the limit of { $max } octets
smtp-delivered = Message delivered
smtp-queued = Message accepted and queued for delivery
smtp-forged-sender = The From and Sender headers must name your account { $address } and no one else
smtp-local-error = Local error while processing; try again later
smtp-recipient-not-partner = { $address } is not of your domain nor a partner of yours on this network; mail to it is not allowed
smtp-network-unavailable = The mail network cannot be reached just now; try again later

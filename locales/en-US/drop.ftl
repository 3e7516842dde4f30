## Why a file in the XML drop folder was not sent. Written to NAME.error.txt beside the file
## in rejected/; one line each.

drop-file-too-large = The file is { $size } bytes; the drop folder accepts at most { $limit } bytes.
drop-encoding = The file is not UTF-8 or UTF-16 text.
drop-malformed = The file is not valid drop XML: { $detail }
drop-malformed-at = The file is not valid XML at line { $line }, column { $column } ({ $detail }); write a bare & as &amp; and < as &lt;.
drop-unknown-element = Line { $line }: <{ $name }> is not part of a drop file there (see docs/drop-folder.md for the elements and where they go).
drop-unclosed-element = Line { $line }: <{ $name }> is never closed.
drop-missing = The element <{ $field }> is missing or empty.
drop-bad-address = "{ $address }" is not a valid address (expected name@domain).
drop-unknown-type = Unknown message type "{ $type }"; known types: { $known }.
drop-bad-send-at = "{ $value }" is not a valid send-at time (expected e.g. 2030-01-31T09:00:00+01:00).
drop-attachment-outside = The attachment { $path } is not a file inside the attachment folder { $folder } (links are not followed).
drop-no-account = { $address } is not an account on this node.
drop-disabled = Sending through the drop folder is not enabled for { $address } (wims account drop enable).
drop-wrong-passphrase = The drop passphrase for { $address } is wrong.
drop-passphrase-throttled = Too many wrong drop passphrases for { $address } lately; the file was not checked. Send it again in a few minutes.
drop-not-local = The recipient { $address } is not an account on this node nor on its mail network.
drop-rate-limited = { $address } has already sent { $limit } messages through the drop folder in the last hour.
drop-attachment-missing = The attachment { $path } does not exist or is not a file.
drop-attachment-unreadable = The attachment { $path } cannot be read: { $reason }
drop-attachment-too-large = The attachment { $path } is larger than the limit of { $limit } bytes.
drop-not-partner = The recipient { $address } is neither of your domain nor a partner of yours on this network; mail to it is not allowed.

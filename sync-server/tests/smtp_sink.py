"""An aiosmtpd handler that keeps each message it is given as a JSON file in a folder,
for the e-mail tests (sync-server/tests/subscriptions.rs). Run with the test Python:

    python -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink.Folder FOLDER

(with this directory on PYTHONPATH). A file is written under a temporary name and renamed,
so a reader never sees half of one. The JSON has the envelope's recipients, the headers a
test looks at, the plain and HTML bodies decoded, and how many inline images came along.
"""

import email
import email.policy
import json
import os
import time
import uuid


class Folder:
    def __init__(self, folder):
        self.folder = folder

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("smtp_sink.Folder takes the folder to write messages to")
        return cls(args[0])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # A mailbox that does not exist, for the test of a message refused for good.
        if address.startswith("nobody"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        message = email.message_from_bytes(data, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        images = [
            part
            for part in message.walk()
            if part.get_content_maintype() == "image"
        ]
        record = {
            "rcpt_tos": list(envelope.rcpt_tos),
            "from": str(message.get("From", "")),
            "to": str(message.get("To", "")),
            "subject": str(message.get("Subject", "")),
            "message_id": str(message.get("Message-ID", "")),
            "list_unsubscribe": str(message.get("List-Unsubscribe", "")),
            "list_unsubscribe_post": str(message.get("List-Unsubscribe-Post", "")),
            "text": text.get_content() if text is not None else "",
            "html": html.get_content() if html is not None else "",
            "inline_images": sum(
                1 for part in images if part.get("Content-ID") is not None
            ),
            "image_bytes": [len(part.get_content()) for part in images],
        }
        # Named by arrival, so a sorted listing is the order they came in.
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex}"
        temporary = os.path.join(self.folder, name + ".tmp")
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump(record, out)
        os.rename(temporary, os.path.join(self.folder, name + ".json"))
        return "250 Message accepted for delivery"

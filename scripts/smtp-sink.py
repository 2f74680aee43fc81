#!/usr/bin/env python3
"""A real SMTP server on loopback for tests: aiosmtpd receives each message, Python's standard
MIME parser (email, policy=default) reads it, and one JSON line per message is appended to OUT:
{"to": [...], "from": ..., "subject": ..., "message_id": ..., "list_unsubscribe": ...,
 "list_unsubscribe_post": ..., "text": ..., "html": ...,
 "attachments": [{"name": ..., "type": ..., "size": ..., "head": <first 5 bytes>}]}.

    smtp-sink.py PORT OUT      (runs until terminated; prints "ready" once listening)
"""

import json
import signal
import sys
import threading
from email import message_from_bytes
from email.policy import default

from aiosmtpd.controller import Controller


def attachment(part):
    """An attached file as the record lists it: its name, type, size and first bytes."""
    data = part.get_payload(decode=True) or b""
    return {
        "name": part.get_filename(),
        "type": part.get_content_type(),
        "size": len(data),
        "head": data[:5].decode("latin-1"),
    }


class Sink:
    def __init__(self, out):
        self.out = out
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=default)
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        record = {
            "to": list(envelope.rcpt_tos),
            "from": envelope.mail_from,
            "subject": str(msg["subject"] or ""),
            "message_id": str(msg["message-id"] or ""),
            "list_unsubscribe": str(msg["list-unsubscribe"] or ""),
            "list_unsubscribe_post": str(msg["list-unsubscribe-post"] or ""),
            "multipart": msg.get_content_type(),
            "text": text.get_content() if text is not None else "",
            "html": html.get_content() if html is not None else "",
            "attachments": [attachment(p) for p in msg.iter_attachments()],
        }
        with self.lock, open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        return "250 Message accepted for delivery"


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(out), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()

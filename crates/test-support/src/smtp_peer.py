"""An SMTP server for Curio's tests: aiosmtpd (PyPI) with a handler that
keeps each message it accepts as one file per recipient, and answers some
recipients as a relay in trouble would:

- a local part starting with `reject` is refused for good (550);
- one starting with `defer` is deferred (451) twice, then accepted.

Usage: smtp_peer.py PORT DIRECTORY [DELAY_MS [log]] (prints `ready` once
it listens); DELAY_MS slows each message down, as a busy relay would. With
`log`, a message is not kept whole but as a line `recipient<TAB>Message-ID`
of DIRECTORY/received.log (a load test's hundred thousand messages).
"""

import asyncio
import email.parser
import itertools
import os
import sys

from aiosmtpd.controller import Controller


class Keep:
    def __init__(self, directory, delay, log_only):
        self.directory = directory
        self.delay = delay
        self.log = open(os.path.join(directory, "received.log"), "a") if log_only else None
        self.numbers = itertools.count(1)
        self.deferred = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 Mailbox unavailable"
        if local.startswith("defer"):
            seen = self.deferred.get(address, 0)
            self.deferred[address] = seen + 1
            if seen < 2:
                return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.log:
            headers = email.parser.BytesHeaderParser().parsebytes(envelope.original_content)
            for rcpt in envelope.rcpt_tos:
                self.log.write(f"{rcpt}\t{headers.get('Message-ID', '')}\n")
            self.log.flush()
            return "250 Message accepted for delivery"
        for rcpt in envelope.rcpt_tos:
            n = next(self.numbers)
            partial = os.path.join(self.directory, f".{n}.partial")
            with open(partial, "wb") as f:
                f.write(f"X-Envelope-To: {rcpt}\r\n".encode())
                f.write(envelope.original_content)
            os.rename(partial, os.path.join(self.directory, f"{n:06d}.eml"))
        return "250 Message accepted for delivery"


async def main(port, directory, delay, log_only):
    os.makedirs(directory, exist_ok=True)
    controller = Controller(Keep(directory, delay, log_only), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    delay = int(sys.argv[3]) / 1000 if len(sys.argv) > 3 else 0
    log_only = len(sys.argv) > 4 and sys.argv[4] == "log"
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], delay, log_only))

"""Where a message goes: an SMTP server (SMTP_URL), or, in development with no SMTP_URL,
the outbox row itself (the development outbox page shows it)."""

import re
import smtplib
import ssl
from email.message import Message
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit


class Transient(Exception):
    """Try again later. `connection_lost`: the rest of the batch cannot go either."""

    def __init__(self, message: str, connection_lost: bool = True):
        super().__init__(message)
        self.connection_lost = connection_lost


class Permanent(Exception):
    """This message will never go (the server refused the address, say)."""


class OutboxTransport:
    name = "outbox"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send(self, message, recipient: str) -> str | None:
        return message.as_string()  # kept on the row for the development outbox


class SmtpTransport:
    """One connection for a whole batch. smtp://[user:pass@]host[:port] (STARTTLS when the
    server offers it), or smtps:// for TLS from the start."""

    name = "smtp"

    def __init__(self, url: str, timeout: float = 20):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("SMTP_URL must start with smtp:// or smtps://")
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.tls else 25)
        self.username = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        self.timeout = timeout
        self.client: smtplib.SMTP | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        if self.client is not None:
            try:
                self.client.quit()
            except (smtplib.SMTPException, OSError):
                self.client.close()
            self.client = None

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.tls:
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
            if self.username:
                client.login(self.username, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise Transient(f"SMTP sign-in refused: {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise Transient(f"Cannot reach the mail server: {_describe(exc)}") from None
        return client

    def send(self, message, recipient: str) -> str | None:
        """A prepared message (emails.Prepared: bytes as they go on the wire) or an
        email.message.Message. A connection the server dropped between two messages (idle,
        or a limit of messages per connection) is opened again and the message tried once
        more: nothing of it had been accepted."""
        if isinstance(message, Message):
            return self._send_message(message, recipient)
        options = ["SMTPUTF8", "BODY=8BITMIME"] if message.international else []
        for again in (False, True):
            if self.client is None:
                self.client = self._connect()
            try:
                pipelined = self.client.has_extn("pipelining")
                if pipelined:
                    self._pipelined_envelope(message, recipient, options)
                else:
                    self._envelope(message, recipient, options)
                break
            except _Reopen as exc:
                self.close()
                if again:
                    raise Transient(f"Mail server connection lost: {exc}") from None
        try:
            if pipelined:  # the server said 354 already
                self.client.send(_dot_stuffed(message.content))
                code, reply = self.client.getreply()
            else:
                code, reply = self.client.data(message.content)
        except smtplib.SMTPResponseException as exc:  # DATA itself refused
            code, reply = exc.smtp_code, exc.smtp_error
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise Transient(f"Mail server connection lost: {_describe(exc)}") from None
        if code != 250:
            self._after_refusal(code)
            raise _by_code(code, f"Mail server said {code} {_text(reply)}",
                           lost=code == 421) from None
        return None

    def _mail_arguments(self, message, options: list[str]) -> list[str]:
        """MAIL's arguments (SIZE, and SMTPUTF8 for an address beyond ASCII, which a server
        that does not offer it cannot take)."""
        client = self.client
        if options and not client.has_extn("smtputf8"):
            raise Permanent("An address beyond ASCII, and the mail server cannot take it")
        if options:
            client.command_encoding = "utf-8"
        size = [f"size={len(message.content)}"] if client.has_extn("size") else []
        return [*size, *options]

    def _envelope(self, message, recipient: str, options: list[str]) -> None:
        """MAIL and RCPT, as smtplib.sendmail says them. Raises _Reopen when the connection
        turns out to be gone (or the server closes it, 421) before any of it went."""
        client = self.client
        arguments = self._mail_arguments(message, options)
        try:  # (smtplib's mail() and rcpt() parse each address again: these are plain)
            code, reply = _command(client, "mail", f"FROM:<{message.sender}>", arguments)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _Reopen(_describe(exc)) from None
        if code == 421:
            raise _Reopen(f"{code} {_text(reply)}")
        if code != 250:
            self._after_refusal(code)
            raise _by_code(code, f"Mail server said {code} {_text(reply)}", lost=False)
        try:
            code, reply = _command(client, "rcpt", f"TO:<{recipient}>", [])
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise Transient(f"Mail server connection lost: {_describe(exc)}") from None
        if code not in (250, 251):
            self._after_refusal(code)
            raise _by_code(code, f"Address refused: {code} {_text(reply)}", lost=code == 421)

    def _pipelined_envelope(self, message, recipient: str, options: list[str]) -> None:
        """MAIL, RCPT and DATA in one write, their three replies read after (RFC 2920, for
        a server that offers PIPELINING): one round trip instead of three. Returns when
        the server waits for the message (354)."""
        client = self.client
        arguments = self._mail_arguments(message, options)
        mail = " ".join((f"FROM:<{message.sender}>", *arguments))
        rcpt = f"TO:<{recipient}>"
        _plain(mail), _plain(rcpt)
        try:
            client.send(f"mail {mail}\r\nrcpt {rcpt}\r\ndata\r\n")
            replies = [client.getreply()]
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _Reopen(_describe(exc)) from None  # nothing of it accepted
        if replies[0][0] == 421:
            raise _Reopen(f"421 {_text(replies[0][1])}")
        try:
            replies += [client.getreply(), client.getreply()]
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise Transient(f"Mail server connection lost: {_describe(exc)}") from None
        (mail_code, mail_reply), (rcpt_code, rcpt_reply), (data_code, data_reply) = replies
        if data_code == 354 and (mail_code != 250 or rcpt_code not in (250, 251)):
            try:  # a server that took DATA with nobody to send to: an empty message, ended
                client.send(".\r\n")
                client.getreply()
            except (smtplib.SMTPException, OSError):
                self._drop()
        if mail_code != 250:
            self._after_refusal(mail_code)
            raise _by_code(mail_code, f"Mail server said {mail_code} {_text(mail_reply)}",
                           lost=mail_code == 421)
        if rcpt_code not in (250, 251):
            self._after_refusal(rcpt_code)
            raise _by_code(rcpt_code, f"Address refused: {rcpt_code} {_text(rcpt_reply)}",
                           lost=rcpt_code == 421)
        if data_code != 354:
            self._after_refusal(data_code)
            raise _by_code(data_code, f"Mail server said {data_code} {_text(data_reply)}",
                           lost=data_code == 421)

    def _after_refusal(self, code: int) -> None:
        """A refused message: the connection reset for the next one (closed after 421)."""
        if code == 421:
            self.close()
            return
        try:
            self.client.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self.client is not None:
            self.client.close()
        self.client = None

    def _send_message(self, message: Message, recipient: str) -> str | None:
        if self.client is None:
            self.client = self._connect()
        sender = parseaddr(str(message["From"]))[1]
        try:
            self.client.send_message(message, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _by_code(code, f"Address refused: {code} {_text(text)}",
                           lost=False) from None
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, 421
            lost = exc.smtp_code == 421
            if lost:
                self.close()
            raise _by_code(exc.smtp_code, f"Mail server said {exc.smtp_code} "
                                          f"{_text(exc.smtp_error)}", lost=lost) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.client = None
            raise Transient(f"Mail server connection lost: {_describe(exc)}") from None
        return None


def _plain(argument: str) -> str:
    if "\r" in argument or "\n" in argument:
        raise Permanent("Not a plain email address")
    return argument


def _command(client: smtplib.SMTP, verb: str, argument: str, options: list[str]):
    client.putcmd(verb, _plain(" ".join((argument, *options))))
    return client.getreply()


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _dot_stuffed(content: bytes) -> bytes:
    """The message and its end, as smtplib's data() sends them after a 354."""
    content = _LEADING_DOT.sub(b"..", content)
    if not content.endswith(b"\r\n"):
        content += b"\r\n"
    return content + b".\r\n"


class _Reopen(Exception):
    """The connection was gone before the message began: open another and try again."""


def _text(value) -> str:
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))[:200]


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def _by_code(code: int, message: str, lost: bool):
    if 500 <= code < 600:
        return Permanent(message)
    return Transient(message, connection_lost=lost)


def for_config(config):
    url = config.get("SMTP_URL") or ""
    if not url:
        return OutboxTransport()
    return SmtpTransport(url, timeout=config.get("REMINDER_SMTP_TIMEOUT", 20))

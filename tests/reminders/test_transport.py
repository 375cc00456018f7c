"""The SMTP transport against a real server (aiosmtpd on loopback), with and without
PIPELINING (RFC 2920): a batch over one connection, refusals, a server that closes the
connection between two messages, and messages whose lines start with a dot."""

import pytest

from mdt.reminders import transport
from mdt.reminders.emails import Prepared


def message(n: int, extra: bytes = b"") -> Prepared:
    return Prepared("no-reply@example.nhs.uk",
                    b"Subject: Message %d\r\nMessage-ID: <m%d@example.nhs.uk>\r\n\r\nHello\r\n"
                    % (n, n) + extra)


@pytest.fixture(params=[False, True], ids=["one command at a time", "pipelining"])
def server(request, smtp):
    smtp.pipelining = request.param
    return smtp


def test_a_batch_goes_over_one_connection(server):
    with transport.SmtpTransport(server.url) as mailer:
        for n in range(5):
            assert mailer.send(message(n), f"person{n}@example.nhs.uk") is None
        assert mailer.client.has_extn("pipelining") == server.pipelining
    assert server.count == 5
    assert [rcpts for rcpts, _, _ in server.messages] == [
        (f"person{n}@example.nhs.uk",) for n in range(5)]


def test_lines_starting_with_a_dot_arrive_whole(server):
    body = b".hidden line\r\n..two dots\r\n.\r\nlast"
    with transport.SmtpTransport(server.url) as mailer:
        mailer.send(message(1, body), "a@example.nhs.uk")
        mailer.send(message(2), "b@example.nhs.uk")
    [(_, _, first), (_, _, second)] = server.messages
    assert first.endswith(body + b"\r\n") and b"Message 2" in second


def test_a_refused_address_fails_alone_and_the_batch_goes_on(server):
    server.reject = {"nobody@example.nhs.uk"}
    with transport.SmtpTransport(server.url) as mailer:
        mailer.send(message(1), "a@example.nhs.uk")
        with pytest.raises(transport.Permanent, match="550"):
            mailer.send(message(2), "nobody@example.nhs.uk")
        mailer.send(message(3), "b@example.nhs.uk")
    assert [rcpts for rcpts, _, _ in server.messages] == [("a@example.nhs.uk",),
                                                          ("b@example.nhs.uk",)]


def test_try_again_later_is_transient_and_keeps_the_connection(server):
    server.refuse = 1
    with transport.SmtpTransport(server.url) as mailer:
        with pytest.raises(transport.Transient) as refused:
            mailer.send(message(1), "a@example.nhs.uk")
        assert not refused.value.connection_lost
        mailer.send(message(2), "b@example.nhs.uk")
    assert server.count == 1


def test_a_connection_the_server_closed_is_opened_again(server):
    with transport.SmtpTransport(server.url) as mailer:
        mailer.send(message(1), "a@example.nhs.uk")
        server.closing = 1  # the next MAIL: "421 closing", and the connection goes
        first = mailer.client
        mailer.send(message(2), "b@example.nhs.uk")
        assert mailer.client is not first
        mailer.send(message(3), "c@example.nhs.uk")
    assert server.count == 3


def test_a_server_that_keeps_closing_is_a_transient_failure(server):
    server.closing = 5
    with transport.SmtpTransport(server.url) as mailer:
        with pytest.raises(transport.Transient) as lost:
            mailer.send(message(1), "a@example.nhs.uk")
    assert lost.value.connection_lost and server.count == 0

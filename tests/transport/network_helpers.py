"""Real network parts on loopback: a forward proxy that records what passed through it, a TLS front for the
sandbox, and a certificate authority made for the test run."""

from __future__ import annotations

import asyncio
import base64
import datetime
import ipaddress
import ssl
from pathlib import Path

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from transport_helpers import RawRequest, ThreadServer, read_request
from yarl import URL


async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy what ``reader`` gives to ``writer`` until it ends, then close ``writer``."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def splice(
    client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    """Copy bytes both ways until either side closes."""
    await asyncio.gather(pump(client[0], upstream[1]), pump(upstream[0], client[1]))


@attrs.frozen
class Passed:
    """One request the proxy handled: ``CONNECT host:port`` or an absolute-form request, and its credentials."""

    method: str
    target: str
    proxy_authorization: str | None


class ForwardProxy(ThreadServer):
    """An HTTP forward proxy: tunnels ``CONNECT`` and forwards absolute-form requests, optionally demanding
    Basic credentials (407 otherwise). ``passed`` records every request it let through."""

    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        self.passed: list[Passed] = []
        self.refused = 0
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self._expected = f"Basic {token}" if user is not None else None
        super().__init__()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            request = await read_request(reader)
            given = request.headers.get("proxy-authorization")
            if self._expected is not None and given != self._expected:
                self.refused += 1
                writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n")
                writer.write(b"Content-Length: 0\r\n\r\n")
                await writer.drain()
                continue
            self.passed.append(Passed(request.method, request.target, given))
            if request.method == "CONNECT":
                host, _, port = request.target.rpartition(":")
                upstream = await self.connect(host, int(port))
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
                await splice((reader, writer), upstream)
                return
            await self._forward(request, writer)

    async def _forward(self, request: RawRequest, writer: asyncio.StreamWriter) -> None:
        url = URL(request.target)
        up_reader, up_writer = await self.connect(url.host, url.port)
        lines = [f"{request.method} {url.raw_path_qs} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in request.headers.items() if not k.startswith("proxy-") and k != "connection"]
        lines += ["Connection: close", "", ""]
        up_writer.write("\r\n".join(lines).encode("latin-1") + request.body)
        await up_writer.drain()
        writer.write(await up_reader.read())  # the upstream closes after its answer
        await writer.drain()
        up_writer.close()


class TlsFront(ThreadServer):
    """Terminates TLS with the given context and relays the plain bytes to ``127.0.0.1:upstream_port``."""

    def __init__(self, context: ssl.SSLContext, upstream_port: int) -> None:
        self._upstream_port = upstream_port
        super().__init__(context)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await splice((reader, writer), await self.connect("127.0.0.1", self._upstream_port))


@attrs.frozen
class Authority:
    """A CA made for the test run (``ca_file``, PEM) and a server context with a certificate it signed for
    127.0.0.1 and localhost."""

    ca_file: Path
    server_context: ssl.SSLContext


def make_authority(directory: Path) -> Authority:
    """Create the CA, a server certificate signed by it, and the files they live in."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "multimarkets test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file, key_file = directory / "server.pem", directory / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return Authority(ca_file, context)

"""Shared fixtures. No test may reach the network: outbound sockets to anything but loopback fail."""
from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]


def _is_loopback(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, bytes):
        host = host.decode()
    if host in ("localhost", "", None) or str(host).startswith("/"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    def guarded_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_ex)
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo(socket.getaddrinfo))
    yield


def _guarded_getaddrinfo(real):
    def guarded(host, *args, **kwargs):
        if host is not None and not _is_loopback((host,)) and host not in ("127.0.0.1", "::1"):
            raise RuntimeError(f"test tried to resolve a network host: {host!r}")
        return real(host, *args, **kwargs)
    return guarded


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A tiny transformer (random encoder built from configs/tiny.yaml) trained on the mini corpus,
    with its baselines, written by the real training command."""
    from pipeline.classify.train import train_from_config
    import yaml

    cfg = yaml.safe_load((ROOT / "configs" / "tiny.yaml").read_text())
    mini = str(FIXTURES / "corpus" / "mini.jsonl")
    cfg["data"] = {"turns": mini, "use_session_turns": False}
    cfg["train"]["epochs"] = 2
    path = tmp_path_factory.mktemp("cfg") / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    out = tmp_path_factory.mktemp("models") / "tiny"
    train_from_config(path, out_dir=out, progress=False)
    return out

"""The JWT issuer key file: created 0600; an existing file others can touch is refused.

Before: ``onramp up --param AuthMode=jwt`` wrote the private key into an existing
world-writable file and left it 0666 (touch(mode=0o600, exist_ok=True) keeps the old mode).
"""

import os
import stat

import pytest

from kernel.errors import UsageError
from onramp.local.api.key_file import check_key_file, write_private_key

PEM = b"-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n"


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_key_file_is_0600_whatever_the_umask(tmp_path):
    previous = os.umask(0)
    try:
        write_private_key(tmp_path / "key.pem", PEM, "--jwt-key")
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "key.pem") == 0o600
    assert (tmp_path / "key.pem").read_bytes() == PEM


def test_an_own_0600_file_is_rewritten(tmp_path):
    path = tmp_path / "key.pem"
    path.write_bytes(b"x" * 5000)
    path.chmod(0o600)
    write_private_key(path, PEM, "--jwt-key")
    assert path.read_bytes() == PEM and _mode(path) == 0o600


@pytest.mark.parametrize("mode", [0o666, 0o644, 0o640, 0o602])
def test_a_file_others_can_touch_is_refused_and_left_alone(tmp_path, mode):
    path = tmp_path / "key.pem"
    path.write_bytes(b"planted")
    path.chmod(mode)
    with pytest.raises(UsageError, match=f"--jwt-key {path}: mode {mode:04o}"):
        write_private_key(path, PEM, "--jwt-key")
    assert path.read_bytes() == b"planted"
    with pytest.raises(UsageError):
        check_key_file(path, "--jwt-key")


def test_a_symlink_is_refused(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_bytes(b"")
    target.chmod(0o600)
    (tmp_path / "key.pem").symlink_to(target)
    with pytest.raises(UsageError, match="not a regular file"):
        write_private_key(tmp_path / "key.pem", PEM, "--jwt-key")
    assert target.read_bytes() == b""

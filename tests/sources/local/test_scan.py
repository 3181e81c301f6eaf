"""Scanning: Kodi's skip rules, the index diff, moves, and roots that go offline."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reel.sources.local import scan as scan_mod
from reel.sources.local.index import RootIndex, diff, partial_hash
from reel.sources.local.scan import scan_root


def _touch(root: Path, rel: str, data: bytes = b"x" * 100) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_skip_rules(tmp_path: Path) -> None:
    keep = [
        "Alien (1979)/Alien (1979).mkv",
        "Show/Season 01/Show - S01E01.mp4",
        "The/Thing.avi",
        "Samplers (2001)/Samplers (2001).mkv",
    ]
    skip = [
        "Alien (1979)/Alien (1979)-trailer.mkv",
        "Alien (1979)/sample/alien-sample.mkv",
        "Alien (1979)/alien.sample.mkv",
        "Alien (1979)/Featurettes/Making of.mkv",
        "Alien (1979)/Extras/Interview.mkv",
        "Alien (1979)/Behind The Scenes/b.mkv",
        "Show/Trailers/t.mkv",
        ".hidden/Movie.mkv",
        "Movie/.Movie.mkv",
        "@eaDir/Movie.mkv/thumb.mkv",
        "Ignored/.nomedia",
        "Ignored/Film (2000).mkv",
        "Alien (1979)/Alien (1979).nfo",
        "Alien (1979)/poster.jpg",
    ]
    for rel in keep + skip:
        _touch(tmp_path, rel)
    _touch(tmp_path, "Empty (2000)/Empty (2000).mkv", b"")
    result = scan_root(tmp_path)
    assert sorted(result.files) == sorted(keep)
    assert not result.offline
    entry = result.files["The/Thing.avi"]
    assert entry.size == 100 and entry.mtime_ns > 0


def test_symlink_loop_is_not_followed_forever(tmp_path: Path) -> None:
    _touch(tmp_path, "A/Film (2000).mkv")
    os.symlink(tmp_path / "A", tmp_path / "A" / "loop")
    result = scan_root(tmp_path, follow_symlinks=True)
    assert list(result.files) == ["A/Film (2000).mkv"]


def test_diff_new_changed_unchanged_vanished(tmp_path: Path) -> None:
    a = _touch(tmp_path, "a/A (2000).mkv")
    _touch(tmp_path, "b/B (2001).mkv", b"b" * 200)
    c = _touch(tmp_path, "c/C (2002).mkv", b"c" * 300)
    first, index = diff(None, scan_root(tmp_path))
    assert len(first.new) == 3 and not first.unchanged
    assert all(e.phash for e in first.new)

    again, index2 = diff(index, scan_root(tmp_path))
    assert len(again.unchanged) == 3 and not (again.new or again.changed or again.to_parse)

    a.write_bytes(b"y" * 150)
    c.unlink()
    _touch(tmp_path, "d/D (2003).mkv", b"d" * 400)
    third, index3 = diff(index2, scan_root(tmp_path))
    assert [e.path for e in third.changed] == ["a/A (2000).mkv"]
    assert third.changed[0].file_id == index2.entries["a/A (2000).mkv"].file_id
    assert [e.path for e in third.new] == ["d/D (2003).mkv"]
    assert [e.path for e in third.vanished] == ["c/C (2002).mkv"]
    assert [e.path for e in third.unchanged] == ["b/B (2001).mkv"]
    assert set(index3.entries) == {"a/A (2000).mkv", "b/B (2001).mkv", "d/D (2003).mkv"}


def test_rename_keeps_file_id(tmp_path: Path) -> None:
    _touch(tmp_path, "Old Name (2000)/Old Name (2000).mkv", os.urandom(200_000))
    _, index = diff(None, scan_root(tmp_path))
    old_id = index.entries["Old Name (2000)/Old Name (2000).mkv"].file_id
    (tmp_path / "Old Name (2000)").rename(tmp_path / "New Name (2000)")
    (tmp_path / "New Name (2000)/Old Name (2000).mkv").rename(tmp_path / "New Name (2000)/New.mkv")
    result, index2 = diff(index, scan_root(tmp_path))
    assert not result.new and not result.vanished
    assert [(m.old.path, m.new.path) for m in result.moved] == [
        ("Old Name (2000)/Old Name (2000).mkv", "New Name (2000)/New.mkv")
    ]
    assert index2.entries["New Name (2000)/New.mkv"].file_id == old_id
    assert [e.path for e in result.to_parse] == ["New Name (2000)/New.mkv"]


def test_copy_across_disks_matched_by_content_hash(tmp_path: Path) -> None:
    data = os.urandom(300_000)
    src = _touch(tmp_path, "Film (2000).mkv", data)
    _touch(tmp_path, "Other (2001).mkv", os.urandom(300_000))  # same size, other content
    _, index = diff(None, scan_root(tmp_path))
    old_id = index.entries["Film (2000).mkv"].file_id
    shutil.copyfile(src, tmp_path / "Moved (2000).mkv")  # new inode, new mtime
    src.unlink()
    result, index2 = diff(index, scan_root(tmp_path))
    assert [(m.old.path, m.new.path) for m in result.moved] == [
        ("Film (2000).mkv", "Moved (2000).mkv")
    ]
    assert index2.entries["Moved (2000).mkv"].file_id == old_id
    assert not result.vanished and not result.new


def test_same_size_different_content_is_not_a_move(tmp_path: Path) -> None:
    a = _touch(tmp_path, "A.mkv", b"a" * 1000)
    _, index = diff(None, scan_root(tmp_path))
    a.unlink()
    _touch(tmp_path, "B.mkv", b"b" * 1000)
    result, _ = diff(index, scan_root(tmp_path))
    assert [e.path for e in result.vanished] == ["A.mkv"] and [e.path for e in result.new] == [
        "B.mkv"
    ]


def test_partial_hash_reads_head_and_tail(tmp_path: Path) -> None:
    base = bytearray(os.urandom(500_000))
    p1 = _touch(tmp_path, "1.mkv", bytes(base))
    base[250_000] ^= 0xFF  # a change in the middle is not seen: by design, cheap
    p2 = _touch(tmp_path, "2.mkv", bytes(base))
    base[-1] ^= 0xFF
    p3 = _touch(tmp_path, "3.mkv", bytes(base))
    assert partial_hash(p1) == partial_hash(p2) != partial_hash(p3)


def test_vanished_root_is_offline_not_deleted(tmp_path: Path) -> None:
    root = tmp_path / "nas"
    _touch(root, "Film (2000).mkv")
    _, index = diff(None, scan_root(root))
    shutil.rmtree(root)
    scan = scan_root(root, previous_count=len(index.entries))
    result, kept = diff(index, scan)
    assert result.offline and "unavailable" in (result.reason or "")
    assert not result.vanished and kept is index


def test_empty_mount_point_is_offline(tmp_path: Path) -> None:
    root = tmp_path / "mnt"
    _touch(root, "Film (2000).mkv")
    _, index = diff(None, scan_root(root))
    (root / "Film (2000).mkv").unlink()  # the share unmounted: an empty folder remains
    result, kept = diff(index, scan_root(root, previous_count=len(index.entries)))
    assert result.offline and not result.vanished and kept.entries == index.entries
    fresh = scan_root(root, previous_count=0)  # a new, really empty library is fine
    assert not fresh.offline and fresh.files == {}


def test_unreadable_folder_is_unknown_not_vanished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _touch(tmp_path, "ok/A.mkv")
    _touch(tmp_path, "locked/B.mkv")
    _, index = diff(None, scan_root(tmp_path))
    real = os.scandir

    def scandir(path: str):  # type: ignore[no-untyped-def]
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(scan_mod.os, "scandir", scandir)
    scan = scan_root(tmp_path)
    assert scan.unreadable == ["locked"]
    result, kept = diff(index, scan)
    assert [e.path for e in result.unknown] == ["locked/B.mkv"] and not result.vanished
    assert "locked/B.mkv" in kept.entries


def test_index_serialises(tmp_path: Path) -> None:
    import msgspec

    _touch(tmp_path, "A.mkv")
    _, index = diff(None, scan_root(tmp_path))
    back = msgspec.json.decode(msgspec.json.encode(index), type=RootIndex)
    assert back == index

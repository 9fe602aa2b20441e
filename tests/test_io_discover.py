"""Set sources: folders, globs, list files and CSV manifests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tellapart.io import InputError, discover


def touch(path: Path, data: bytes = b"x") -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


def test_folder_is_walked_recursively_sorted_without_hidden(tmp_path: Path) -> None:
    b = touch(tmp_path / "b.png")
    a = touch(tmp_path / "a.jpg")
    nested = touch(tmp_path / "sub" / "deeper" / "c.png")
    notes = touch(tmp_path / "notes.txt")  # a candidate: reported later as "not an image"
    touch(tmp_path / ".DS_Store")
    touch(tmp_path / ".hidden" / "d.png")
    paths, skipped = discover(str(tmp_path), "A")
    assert paths == sorted([a, b, nested, notes])
    assert skipped == []
    assert discover(str(tmp_path), "A") == (paths, skipped)  # deterministic


def test_glob_pattern(tmp_path: Path) -> None:
    one = touch(tmp_path / "imgs" / "one.png")
    two = touch(tmp_path / "imgs" / "x" / "two.png")
    touch(tmp_path / "imgs" / "three.jpg")
    paths, skipped = discover(str(tmp_path / "imgs" / "**" / "*.png"), "B")
    assert paths == sorted([one, two]) and skipped == []
    with pytest.raises(InputError, match="no files match"):
        discover(str(tmp_path / "imgs" / "*.gif"), "B")


def test_list_file_resolves_relative_paths_and_reports_missing(tmp_path: Path) -> None:
    first = touch(tmp_path / "data" / "1.png")
    second = touch(tmp_path / "elsewhere" / "2.png")
    listing = tmp_path / "data" / "set_a.txt"
    listing.write_text(
        "# my set\n\n1.png\n" + second + "\n  missing.png  \n1.png\n", encoding="utf-8"
    )
    paths, skipped = discover(str(listing), "A")
    assert paths == [os.path.normpath(first), os.path.normpath(second)]
    reasons = {s.path: s.reason for s in skipped}
    assert reasons[str(tmp_path / "data" / "missing.png")] == "file not found"
    assert "listed more than once" in reasons[os.path.normpath(first)]
    assert all(s.set_name == "A" for s in skipped)


def test_csv_manifest_selects_group(tmp_path: Path) -> None:
    cat = touch(tmp_path / "imgs" / "cat.png")
    dog = touch(tmp_path / "imgs" / "dog.png")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "path,group,note\nimgs/cat.png,a,x\nimgs/dog.png,b,y\nimgs/gone.png,a,z\n,a,empty\n",
        encoding="utf-8",
    )
    paths, skipped = discover(str(manifest), "A", group="a")
    assert paths == [os.path.normpath(cat)]
    assert {s.reason for s in skipped} == {"file not found", "empty path (manifest.csv row 5)"}
    assert discover(str(manifest), "B", group="b") == ([os.path.normpath(dog)], [])
    with pytest.raises(InputError, match="group"):
        discover(str(manifest), "A")
    with pytest.raises(InputError, match="no rows with group 'c'"):
        discover(str(manifest), "A", group="c")


def test_csv_manifest_errors(tmp_path: Path) -> None:
    no_path = tmp_path / "m1.csv"
    no_path.write_text("file,group\nx.png,a\n", encoding="utf-8")
    with pytest.raises(InputError, match="no 'path' column"):
        discover(str(no_path), "A", group="a")
    no_group = tmp_path / "m2.csv"
    no_group.write_text("path\nx.png\n", encoding="utf-8")
    with pytest.raises(InputError, match="no 'group' column"):
        discover(str(no_group), "A", group="a")
    binary = tmp_path / "m3.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(InputError, match="not UTF-8"):
        discover(str(binary), "A", group="a")


def test_bad_sources_raise_one_line_messages(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist") as info:
        discover(str(tmp_path / "nope"), "A")
    assert "\n" not in str(info.value)
    with pytest.raises(InputError, match="not a CSV manifest"):
        discover(str(tmp_path), "A", group="x")
    image = touch(tmp_path / "single.png")
    with pytest.raises(InputError, match="single image"):
        discover(image, "B")
    with pytest.raises(InputError, match="no source"):
        discover("  ", "B")


def test_empty_folder_gives_no_paths(tmp_path: Path) -> None:
    assert discover(str(tmp_path), "A") == ([], [])

"""Photo bundle: signed authorization letters (承诺授权书), signatures and evidence photos as
one zip, one folder per household (``村名_户主姓名_户编号``), with an index workbook.

Files are streamed from ``open_attachment(household, file_name)`` (the server's storage) into
the zip without recompression; a missing file is listed in the index as missing, never fatal.
"""
from __future__ import annotations

import datetime as _dt
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from typing import IO, Callable, Iterable

from .xlsx import Workbook

INDEX_NAME = "索引.xlsx"
INDEX_HEADER = ("序号", "文件夹", "乡镇", "村", "户编号", "户主姓名", "类别", "文件", "是否存在")
KIND_LABELS = {"authorization": "承诺授权书", "signature": "户主签字", "evidence": "佐证照片"}
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@dataclass
class PhotoSummary:
    households: int = 0
    files: int = 0
    missing: int = 0
    bytes: int = 0


def folder_name(hh: dict) -> str:
    """``村名_户主姓名_户编号`` with characters unsafe in file names replaced."""
    record = hh.get("record") or {}
    parts = [(hh.get("region") or {}).get("village") or "未知村", record.get("head_name") or "未知户主",
             hh.get("household_no") or f"无户编号{hh.get('household_id', '')}"]
    return _UNSAFE.sub("_", "_".join(str(p).strip() for p in parts))


def household_files(hh: dict) -> list[tuple[str, str, str]]:
    """(kind, stored file name, name in the bundle) of one household's photos."""
    record = hh.get("record") or {}
    out = []
    if record.get("authorization_photo"):
        out.append(("authorization", record["authorization_photo"]))
    if record.get("signature"):
        out.append(("signature", record["signature"]))
    for name in record.get("evidence_photos") or []:
        if name:
            out.append(("evidence", name))
    files, counts = [], {}
    for kind, stored in out:
        base = _UNSAFE.sub("_", stored.rpartition("/")[2])
        counts[kind] = counts.get(kind, 0) + 1
        label = KIND_LABELS[kind] + (f"{counts[kind]:02d}" if kind == "evidence" else "")
        files.append((kind, stored, f"{label}_{base}"))
    return files


def write_bundle(target, households: Iterable[dict],
                 open_attachment: Callable[[dict, str], IO[bytes] | None], *,
                 progress: Callable[[int], None] | None = None) -> PhotoSummary:
    """Write the photo zip to ``target`` (path or binary file object)."""
    summary = PhotoSummary()
    used: dict[str, int] = {}
    now = _dt.datetime.now().timetuple()[:6]
    with tempfile.TemporaryFile() as index_file:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as zf, \
                Workbook(index_file) as book:
            index = book.sheet("索引", widths=[6, 36, 12, 12, 18, 10, 10, 36, 8], freeze_rows=2,
                               columns=len(INDEX_HEADER))
            index.merged_title("监测对象佐证材料照片索引", len(INDEX_HEADER), height=26)
            index.row(INDEX_HEADER, style="header")
            n = 0
            for hh in households:
                summary.households += 1
                folder = folder_name(hh)
                k = used.get(folder, 0)
                used[folder] = k + 1
                if k:
                    folder = f"{folder}({k + 1})"
                region = hh.get("region") or {}
                head = (hh.get("record") or {}).get("head_name")
                for kind, stored, name in household_files(hh):
                    src = open_attachment(hh, stored)
                    present = src is not None
                    if present:
                        with src, zf.open(zipfile.ZipInfo(f"{folder}/{name}", now), "w",
                                          force_zip64=True) as dst:
                            while chunk := src.read(1 << 20):
                                dst.write(chunk)
                                summary.bytes += len(chunk)
                        summary.files += 1
                    else:
                        summary.missing += 1
                    n += 1
                    index.row([n, folder, region.get("township"), region.get("village"),
                               hh.get("household_no"), head, KIND_LABELS[kind], name,
                               "是" if present else "否（缺失）"])
                if progress is not None:
                    progress(1)
            index.close()
            book.close()
            index_file.seek(0)
            with zf.open(zipfile.ZipInfo(INDEX_NAME, now), "w") as dst:
                shutil.copyfileobj(index_file, dst, 1 << 20)
    return summary

"""shoudi exports: what county staff enter into the national monitoring system, and more.

Every exporter is a pure "rows for this layout" builder plus a thin streaming writer:

- :mod:`exports.layout` — declarative sheet layouts (``exports/layouts/*.toml``) → rows
- :mod:`exports.national` — national-system workbook with its validation sheet
- :mod:`exports.notices` — public notice lists (公示名单) with personal data masked: XLSX, HTML, PDF
- :mod:`exports.central_csv` — ODK Central-style CSV zip of a form's submissions
- :mod:`exports.photos` — authorization letters and evidence photos, one folder per household
- :mod:`exports.xlsx` — the streaming XLSX writer

The input shape ("export household") is defined in ``docs/exports.md``.
"""

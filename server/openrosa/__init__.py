"""OpenRosa endpoints (formList, form download, manifest, media, submission) as ODK Central speaks them."""

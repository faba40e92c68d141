"""A file-system storage that encrypts what it writes (ground module: imports no app).

Django's documented custom-storage methods, `_save` and `_open`
(docs.djangoproject.com/en/5.2/howto/custom-file-storage/): each file is one Fernet token
(ground/crypto.py, key PORTAIL_FIELD_KEY), so a copy of the directory, a backup of it or a
stolen disk shows no document, invoice or export. Whoever reads through the storage gets the
clear bytes (`FieldFile.open`, FileResponse, the export's ZIP, PDF checks), in memory: the vault
holds files capped in size (uploads) or small (PDFs).

A file written in clear before encryption came (no token prefix) is still read as it is, until
`manage.py reencrypt` encrypts it. `size()` is the size on disk, the token's: the models keep
the size of what was uploaded."""

import os
import tempfile

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from . import crypto


class EncryptedFileSystemStorage(FileSystemStorage):
    def _save(self, name, content):
        clear = b"".join(content.chunks())
        return super()._save(name, ContentFile(crypto.encrypt_bytes(clear)))

    def _open(self, name, mode="rb"):
        if "b" not in mode or any(flag in mode for flag in "wa+"):
            raise ValueError("An encrypted storage opens its files for reading bytes only.")
        with super()._open(name, "rb") as stored:
            raw = stored.read()
        clear = crypto.decrypt_bytes(raw) if crypto.is_token(raw) else raw
        opened = ContentFile(clear, name=name)
        opened.mode = mode
        return opened

    def reencrypt(self, name) -> bool:
        """Rewrites the file under the first key (encrypting it if it was in clear), through
        a temporary file renamed over it: a crash leaves the old file or the new one, never
        half of one. Returns False for an empty file (nothing to hide, nothing written)."""
        path = self.path(name)
        with open(path, "rb") as stored:
            raw = stored.read()
        if not raw:
            return False
        token = crypto.rotate_bytes(raw) if crypto.is_token(raw) else crypto.encrypt_bytes(raw)
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".reencrypt-")
        try:
            with os.fdopen(handle, "wb") as new:
                new.write(token)
            if self.file_permissions_mode is not None:
                os.chmod(temporary, self.file_permissions_mode)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.remove(temporary)
            raise
        return True

    def names(self, directory=""):
        """Every file stored under ``directory`` (relative names, as the models hold them)."""
        found = []
        if not self.exists(directory):
            return found  # a vault nothing was ever written to
        folders, files = self.listdir(directory)
        found += [f"{directory}/{file}" if directory else file for file in files]
        for folder in folders:
            found += self.names(f"{directory}/{folder}" if directory else folder)
        return found

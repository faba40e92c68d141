#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY database and an EMPTY documents'
# directory (it refuses otherwise: nothing is overwritten). The checksums are verified first;
# the database is restored in one transaction (all or nothing).
# docs/donnees-personnelles.md, « Sauvegardes et restauration ».
#
#   createdb portail                     # a fresh database
#   DATABASE_URL=postgres://user:password@host:5432/portail \
#   PORTAIL_PRIVATE_MEDIA_ROOT=/data/private scripts/restore.sh /backups/portail-20261207T021500Z
set -euo pipefail

backup="${1:?usage: scripts/restore.sh BACKUP_DIRECTORY}"
: "${DATABASE_URL:?set DATABASE_URL (the empty database to restore into)}"
: "${PORTAIL_PRIVATE_MEDIA_ROOT:?set PORTAIL_PRIVATE_MEDIA_ROOT (the empty documents directory)}"

(cd "$backup" && sha256sum --check --quiet SHA256SUMS)

tables="$(psql --dbname="$DATABASE_URL" --tuples-only --no-align --command \
    "select count(*) from information_schema.tables where table_schema = 'public'")"
if [ "$tables" != "0" ]; then
    echo "restore: the database is not empty ($tables tables); create a fresh one" >&2
    exit 1
fi
mkdir -p "$PORTAIL_PRIVATE_MEDIA_ROOT"
if [ -n "$(ls -A "$PORTAIL_PRIVATE_MEDIA_ROOT")" ]; then
    echo "restore: $PORTAIL_PRIVATE_MEDIA_ROOT is not empty" >&2
    exit 1
fi

pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
    --dbname="$DATABASE_URL" "$backup/database.dump"
tar --extract --same-permissions --file="$backup/documents.tar" \
    --directory="$PORTAIL_PRIVATE_MEDIA_ROOT"
echo "restore: $backup restored"

#!/usr/bin/env bash
# Back up Portail Famille: the database (pg_dump, custom format) and the families' documents
# (a tar of PORTAIL_PRIVATE_MEDIA_ROOT), into one dated directory with their checksums; then
# delete the backups older than PORTAIL_BACKUP_KEEP_DAYS. Restore with scripts/restore.sh.
# docs/donnees-personnelles.md, « Sauvegardes et restauration ».
#
#   DATABASE_URL=postgres://user:password@host:5432/portail \
#   PORTAIL_PRIVATE_MEDIA_ROOT=/data/private PORTAIL_BACKUP_DIR=/backups scripts/backup.sh
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL (postgres://…)}"
: "${PORTAIL_PRIVATE_MEDIA_ROOT:?set PORTAIL_PRIVATE_MEDIA_ROOT (the documents)}"
: "${PORTAIL_BACKUP_DIR:?set PORTAIL_BACKUP_DIR (where backups go)}"
KEEP_DAYS="${PORTAIL_BACKUP_KEEP_DAYS:-30}"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="$PORTAIL_BACKUP_DIR/portail-$stamp"
# Written aside and renamed at the end: a backup directory is complete or absent.
work="$PORTAIL_BACKUP_DIR/.portail-$stamp.partial"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
umask 077  # the dumps hold health data: readable by their owner only

pg_dump --format=custom --no-owner --no-privileges --file="$work/database.dump" \
    --dbname="$DATABASE_URL"
if [ -d "$PORTAIL_PRIVATE_MEDIA_ROOT" ]; then
    tar --create --file="$work/documents.tar" --directory="$PORTAIL_PRIVATE_MEDIA_ROOT" .
else  # a new portal, no document filed yet
    tar --create --file="$work/documents.tar" --files-from=/dev/null
fi
(cd "$work" && sha256sum database.dump documents.tar > SHA256SUMS)
mv "$work" "$target"
trap - EXIT
echo "backup: $target"

# Only complete backups are pruned, and never the one just made.
find "$PORTAIL_BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name 'portail-*' \
    -mtime "+$KEEP_DAYS" ! -path "$target" -print -exec rm -rf {} +

"""ciphertext stored uncompressed on PostgreSQL

Encrypted fields are random bytes: PostgreSQL's attempt to compress every
value over 2 KB (a checklist is about 10 KB) costs CPU on each insert and
never saves a byte. EXTERNAL keeps out-of-line storage without compression.
SQLite does not compress: nothing to do there.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 04:45:00

"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

ENCRYPTED_TABLES = ('server_keys', 'households', 'persons', 'concerns', 'checklists',
                    'review_decisions')


def _set_storage(storage: str) -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in ENCRYPTED_TABLES:
        op.execute(f'ALTER TABLE {table} ALTER COLUMN sealed_fields SET STORAGE {storage}')


def upgrade():
    _set_storage('EXTERNAL')


def downgrade():
    _set_storage('EXTENDED')

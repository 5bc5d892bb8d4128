"""audit chain, legal holds and retention reports

Audit entries gain their place in the chain, the key id and keyed hash that
chain them, the device a request named, and the subjects (persons,
households, concerns, checklists) they touch. Entries written before this
revision stay unchained and `audit verify` reports them as such.

Revision ID: 0016
Revises: 0012
Create Date: 2026-11-29 17:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('subjects', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('chain_key_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('chain_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_seq'), ['seq'])
    op.create_table(
        'audit_chain_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('chain_hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head')),
    )
    op.bulk_insert(sa.table('audit_chain_head', sa.column('id', sa.Integer),
                            sa.column('seq', sa.BigInteger),
                            sa.column('chain_hash', sa.String)),
                   [{'id': 1, 'seq': 0, 'chain_hash': ''}])
    op.create_table(
        'legal_holds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('subject_type', sa.String(length=16), nullable=False),
        sa.Column('subject_id', sa.String(length=36), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('placed_by', sa.String(length=80), nullable=False),
        sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('released_by', sa.String(length=80), nullable=True),
        sa.Column('release_reason', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_holds')),
        sa.UniqueConstraint('uuid', name=op.f('uq_legal_holds_uuid')),
    )
    with op.batch_alter_table('legal_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_holds_subject_id'), ['subject_id'],
                              unique=False)
    op.create_table(
        'retention_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('run_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('dry_run', sa.Boolean(), nullable=False),
        sa.Column('run_by', sa.String(length=80), nullable=False),
        sa.Column('report', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_reports')),
        sa.UniqueConstraint('uuid', name=op.f('uq_retention_reports_uuid')),
    )


def downgrade():
    op.drop_table('retention_reports')
    with op.batch_alter_table('legal_holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_holds_subject_id'))
    op.drop_table('legal_holds')
    op.drop_table('audit_chain_head')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_events_seq'), type_='unique')
        batch_op.drop_column('chain_hash')
        batch_op.drop_column('chain_key_id')
        batch_op.drop_column('seq')
        batch_op.drop_column('subjects')
        batch_op.drop_column('device_id')

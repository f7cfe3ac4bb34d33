"""Index networks (datacenter_id, host_name): the name-clash check of every network create and rename

Revision ID: 0003
Revises: 0002
"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_networks_dc_host_name', 'networks', ['datacenter_id', 'host_name'])


def downgrade() -> None:
    op.drop_index('ix_networks_dc_host_name', table_name='networks')

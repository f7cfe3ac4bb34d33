"""OpenStack (Neutron/Keystone) attributes: projects, token scopes, network/port extras, subnets, IP allocations

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('os_projects',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('datacenter_id', sa.String(length=36), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['datacenter_id'], ['datacenters.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_index('ix_os_projects_datacenter_id', 'os_projects', ['datacenter_id'])
    op.create_table('os_token_scopes',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['token_hash'], ['tokens.token_hash'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['os_projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_index('ix_os_token_scopes_project_id', 'os_token_scopes', ['project_id'])
    op.create_table('os_networks',
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('physical_network', sa.String(length=64), nullable=True),
    sa.Column('port_security_enabled', sa.Boolean(), nullable=False),
    sa.Column('router_external', sa.Boolean(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('network_id')
    )
    op.create_index('ix_os_networks_project_id', 'os_networks', ['project_id'])
    op.create_table('os_subnets',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('cidr', sa.String(length=64), nullable=False),
    sa.Column('ip_version', sa.Integer(), nullable=False),
    sa.Column('gateway_ip', sa.String(length=64), nullable=True),
    sa.Column('allocation_pools', sa.JSON(), nullable=False),
    sa.Column('dns_nameservers', sa.JSON(), nullable=False),
    sa.Column('host_routes', sa.JSON(), nullable=False),
    sa.Column('enable_dhcp', sa.Boolean(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_os_subnets_network_id', 'os_subnets', ['network_id'])
    op.create_index('ix_os_subnets_project_id', 'os_subnets', ['project_id'])
    op.create_table('os_ports',
    sa.Column('vnic_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('device_id', sa.String(length=255), nullable=False),
    sa.Column('device_owner', sa.String(length=255), nullable=False),
    sa.Column('port_security_enabled', sa.Boolean(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['vnic_id'], ['vnics.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vnic_id')
    )
    op.create_index('ix_os_ports_project_id', 'os_ports', ['project_id'])
    op.create_table('os_ip_allocations',
    sa.Column('subnet_id', sa.String(length=36), nullable=False),
    sa.Column('ip_address', sa.String(length=64), nullable=False),
    sa.Column('vnic_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['subnet_id'], ['os_subnets.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vnic_id'], ['vnics.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subnet_id', 'ip_address')
    )
    op.create_index('ix_os_ip_allocations_vnic_id', 'os_ip_allocations', ['vnic_id'])


def downgrade() -> None:
    op.drop_table('os_ip_allocations')
    op.drop_table('os_ports')
    op.drop_table('os_subnets')
    op.drop_table('os_networks')
    op.drop_table('os_token_scopes')
    op.drop_table('os_projects')
